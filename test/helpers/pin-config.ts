/** The configuration the pinning e2e tests run `portcullis wrap` with: state dir, every tool allowed, a file audit log. */
export const PIN_TEST_CONFIG = `mcp:
  state: {dir: "\${DIR}/state"}
  security:
    toolAccess: {defaultPolicy: allow}
    audit:
      destinations: [{type: file, path: "\${AUDIT}", rotation: none}]
`;
