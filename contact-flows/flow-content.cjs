// The flow's text for AWS::Connect::ContactFlow Content, read by serverless.yml as
// ${file(contact-flows/flow-content.cjs):waferAnomalyAlert}. serverless parses a .json file into
// an object, but Content must be a string, and Fn::Sub fills the ${RecordDecisionFunctionArn}
// placeholder in it at deploy time. Minified: Connect stores at most 256,000 characters of flow
// content. CommonJS because the package is "type": "module" and osls loads variable files with
// require().
'use strict';

const { readFileSync } = require('node:fs');
const path = require('node:path');

/** The minified JSON text of one flow file in this folder. */
function flowContent(fileName) {
  return JSON.stringify(JSON.parse(readFileSync(path.join(__dirname, fileName), 'utf8')));
}

module.exports.waferAnomalyAlert = () => flowContent('wafer-anomaly-alert.json');
