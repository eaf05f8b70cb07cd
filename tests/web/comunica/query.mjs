// Run one SPARQL query with Comunica against a SPARQL endpoint and print the result as JSON:
//   node query.mjs ENDPOINT QUERY
// SELECT: a list of {variable: value}; ASK: a boolean; CONSTRUCT/DESCRIBE: a list of [s, p, o].
import { QueryEngine } from '@comunica/query-sparql';

const [endpoint, query] = process.argv.slice(2);
const engine = new QueryEngine();
const context = { sources: [{ type: 'sparql', value: endpoint }], lenient: false };
const result = await engine.query(query, context);
let output;
if (result.resultType === 'bindings') {
  const bindings = await (await result.execute()).toArray();
  output = bindings.map((b) => Object.fromEntries([...b].map(([k, v]) => [k.value, v.value])));
} else if (result.resultType === 'boolean') {
  output = await result.execute();
} else {
  const quads = await (await result.execute()).toArray();
  output = quads.map((q) => [q.subject.value, q.predicate.value, q.object.value]);
}
process.stdout.write(JSON.stringify(output) + '\n');
