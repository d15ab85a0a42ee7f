// The package's nodes and credentials are listed in package.json ("n8n"); nothing is exported here.
module.exports = {};
