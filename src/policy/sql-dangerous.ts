/**
 * Functions and relations refused whenever an SQL constraint applies, whatever the rule says
 * about tables: they run SQL given as a string (which names no table the policy can see), dump
 * whole schemas or databases, read raw storage, read or write files, reach other databases or
 * the OS, or change server state.
 */

export const DANGEROUS_SQL_FUNCTIONS: readonly string[] = [
  // PostgreSQL: SQL from a string, or every table of a schema/database at once.
  'query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema',
  'table_to_xml', 'table_to_xml_and_xmlschema', 'table_to_xmlschema', 'schema_to_xml', 'schema_to_xml_and_xmlschema', 'schema_to_xmlschema',
  'database_to_xml', 'database_to_xml_and_xmlschema', 'database_to_xmlschema',
  'ts_stat', 'ts_rewrite', // ts_stat(sqlquery), ts_rewrite(query, select): run the query text
  'xpath_table', 'crosstab', 'crosstab2', 'crosstab3', 'crosstab4', 'connectby', // xml2, tablefunc: SQL or a table name from strings
  'pg_background_launch', 'get_raw_page', // pg_background runs SQL; pageinspect returns a table's raw pages
  // PostgreSQL: files, other databases, server state.
  'pg_stat_file', 'loread', 'lowrite',
  'set_config', 'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_sleep', 'pg_sleep_for',
  'pg_sleep_until', 'nextval', 'setval', 'pg_advisory_lock', 'pg_advisory_xact_lock', 'txid_current', 'pg_current_xact_id',
  'pg_logical_emit_message', 'pg_switch_wal', 'pg_create_restore_point', 'pg_backup_start', 'pg_start_backup', 'pg_import_system_collations',
  'pg_create_logical_replication_slot', 'pg_create_physical_replication_slot', 'pg_drop_replication_slot', 'pg_replication_slot_advance',
  // MySQL / MariaDB
  'load_file', 'sys_exec', 'sys_eval', 'benchmark', 'sleep', 'get_lock', 'release_lock',
  // SQLite (eval() of the eval extension runs SQL; the fileio and dbpage extensions read files and raw pages)
  'load_extension', 'readfile', 'writefile', 'edit', 'fts3_tokenizer', 'zipfile', 'sqlar_compress', 'eval', 'fsdir', 'sqlite_dbpage', 'sqlite_dbdata', 'sqlite_dbptr',
  // SQL Server
  'openrowset', 'opendatasource', 'openquery', 'openxml', 'sp_executesql', 'sp_execute_external_script',
];

/**
 * Families refused by prefix: dblink*, PostgreSQL's file functions (pg_ls_dir, pg_read_file,
 * adminpack's pg_file_write, ...), logical decoding (every change to every table), slot copies,
 * pgRouting (SQL in strings), large objects (lo_import, lo_export, lo_get, ...), xp_cmdshell & co.
 */
export const DANGEROUS_SQL_FUNCTION_PREFIXES: readonly string[] = [
  'dblink', 'pg_ls_', 'pg_read_', 'pg_file_', 'pg_logdir_', 'pg_logical_slot_', 'pg_copy_', 'pgr_', 'lo_', 'xp_',
];

/** Tables (SQLite eponymous virtual tables) that read raw pages or files however they are referenced: `FROM sqlite_dbpage` needs no parentheses. */
export const DANGEROUS_SQL_RELATIONS: readonly string[] = ['sqlite_dbpage', 'sqlite_dbdata', 'sqlite_dbptr', 'fsdir', 'zipfile'];

export function dangerousFunction(extra: readonly string[] = []): (name: string) => boolean {
  const names = new Set([...DANGEROUS_SQL_FUNCTIONS, ...extra].map((f) => f.toLowerCase()));
  return (name) => {
    const bare = name.slice(name.lastIndexOf('.') + 1);
    return names.has(name) || names.has(bare) || DANGEROUS_SQL_FUNCTION_PREFIXES.some((p) => bare.startsWith(p));
  };
}
