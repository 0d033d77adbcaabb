// Runs the graphql-http server audit suite against a GraphQL-over-HTTP URL.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Prints a JSON array of {id, name, status, reason?, responseStatus?} and exits 0 whenever
// the audits ran (the caller judges the results); 2 on bad usage.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url>');
  process.exit(2);
}

const results = await auditServer({ url, fetchFn: fetch });
const report = results.map((result) => ({
  id: result.id,
  name: result.name,
  status: result.status,
  ...(result.status === 'ok'
    ? {}
    : { reason: result.reason, responseStatus: result.response?.status }),
}));
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
