import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';

/**
 * Checks a CloudFormation template against the CloudFormation resource specification, so a misspelt property, a
 * resource type that does not exist or a value of the wrong kind fails a test instead of a deploy.
 *
 * The specification is @aws-cdk/aws-service-spec: the AWS CDK's database of every CloudFormation resource type,
 * built from the CloudFormation registry's resource schemas and republished as they change. (@aws-cdk/cfnspec,
 * the older packaging of the JSON resource specification, stopped at spec 117.0.0 in 2023 and lacks properties
 * CloudFormation has accepted since, e.g. AWS::Lambda::Function LoggingConfig.) To know a newer property, update the
 * package: `npm install --save-dev --save-exact @aws-cdk/aws-service-spec@latest @aws-cdk/service-spec-types@latest`.
 *
 * What is checked:
 * - the template's sections, and each resource's and output's attributes (Type, Properties, DependsOn...);
 * - every resource type exists (custom resources: only their ServiceToken);
 * - every property, at any depth, exists for its type; required properties are present;
 * - values have the kind the spec gives: a string where a string is expected (numbers and booleans too, which
 *   CloudFormation turns into strings), a number or numeric string for numbers, a boolean or "true"/"false" for
 *   booleans, a list, a map or a structure; a literal string is one of the allowed values where the spec lists them;
 * - what intrinsic functions name exists: Ref and ${...} in Fn::Sub name a resource, parameter or pseudo parameter,
 *   Fn::GetAtt an attribute the resource type has, Fn::If and Condition a condition; DependsOn a resource.
 * The value of an intrinsic function other than Fn::If is not known before deploy, so its kind is not checked; both
 * branches of an Fn::If are.
 */

/** One thing wrong with the template: where (a path such as `Resources.ImageBucket.Properties.Tags[0]`) and what. */
export interface SpecProblem {
  path: string;
  message: string;
}

/** Any parsed template (a JSON object with Resources, Outputs...). */
export type TemplateToValidate = object;

let loaded: SpecDatabase | undefined;

/** The specification database (about half a second to load; loaded once per process). */
export function cloudFormationSpec(): SpecDatabase {
  loaded ??= loadAwsServiceSpecSync();
  return loaded;
}

const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);
const RETENTION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const OUTPUT_ATTRIBUTES = new Set(['Value', 'Description', 'Export', 'Condition']);
const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const NO_VALUE = 'AWS::NoValue';

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ Ref: ... }` or `{ 'Fn::...': ... }`: a value CloudFormation computes at deploy time. */
function intrinsicName(value: Json): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys as [string];
  return key === 'Ref' || key.startsWith('Fn::') ? key : undefined;
}

const isNoValue = (value: Json): boolean => isObject(value) && value.Ref === NO_VALUE && Object.keys(value).length === 1;

/** Validate a whole template; an empty list means it conforms. */
export function validateTemplate(template: TemplateToValidate, spec: SpecDatabase = cloudFormationSpec()): SpecProblem[] {
  return new TemplateValidator(template, spec).run();
}

class TemplateValidator {
  private readonly problems: SpecProblem[] = [];
  private readonly template: Record<string, Json>;
  private readonly resources: Record<string, Json>;
  private readonly parameters: Record<string, Json>;
  private readonly conditions: Record<string, Json>;

  constructor(
    template: TemplateToValidate,
    private readonly spec: SpecDatabase,
  ) {
    this.template = template as Record<string, Json>;
    this.resources = isObject(this.template.Resources) ? this.template.Resources : {};
    this.parameters = isObject(this.template.Parameters) ? this.template.Parameters : {};
    this.conditions = isObject(this.template.Conditions) ? this.template.Conditions : {};
  }

  run(): SpecProblem[] {
    for (const section of Object.keys(this.template)) {
      if (!TEMPLATE_SECTIONS.has(section)) this.report(section, `is not a template section (${[...TEMPLATE_SECTIONS].join(', ')})`);
    }
    if (!isObject(this.template.Resources) || Object.keys(this.template.Resources).length === 0) this.report('Resources', 'must hold at least one resource');
    for (const [name, condition] of Object.entries(this.conditions)) this.checkReferences(condition, `Conditions.${name}`);
    for (const [logicalId, resource] of Object.entries(this.resources)) this.checkResource(logicalId, resource);
    const outputs = isObject(this.template.Outputs) ? this.template.Outputs : {};
    for (const [name, output] of Object.entries(outputs)) this.checkOutput(name, output);
    return this.problems;
  }

  private report(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  private checkResource(logicalId: string, resource: Json): void {
    const path = `Resources.${logicalId}`;
    if (!/^[A-Za-z0-9]+$/.test(logicalId)) this.report(path, 'a logical id is alphanumeric');
    if (!isObject(resource)) {
      this.report(path, 'is not a resource definition (an object with Type)');
      return;
    }
    for (const attribute of Object.keys(resource)) {
      if (!RESOURCE_ATTRIBUTES.has(attribute)) this.report(`${path}.${attribute}`, `is not a resource attribute (${[...RESOURCE_ATTRIBUTES].join(', ')})`);
    }
    for (const policy of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const value = resource[policy];
      if (value !== undefined && (typeof value !== 'string' || !RETENTION_POLICIES.has(value))) {
        this.report(`${path}.${policy}`, `must be one of ${[...RETENTION_POLICIES].join(', ')}, not ${JSON.stringify(value)}`);
      }
    }
    if (resource.Condition !== undefined) this.checkConditionName(resource.Condition, `${path}.Condition`);
    if (resource.DependsOn !== undefined) {
      const targets = [resource.DependsOn].flat();
      targets.forEach((target, index) => {
        const where = Array.isArray(resource.DependsOn) ? `${path}.DependsOn[${index}]` : `${path}.DependsOn`;
        if (typeof target !== 'string' || !(target in this.resources)) this.report(where, `names no resource of the template: ${JSON.stringify(target)}`);
      });
    }
    const type = resource.Type;
    if (typeof type !== 'string') {
      this.report(`${path}.Type`, 'is missing or not a string');
      return;
    }
    const properties = resource.Properties;
    if (properties !== undefined && !isObject(properties)) {
      this.report(`${path}.Properties`, 'must be an object');
      return;
    }
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      // A custom resource's properties are its provider's business; CloudFormation needs only where to send them.
      if (properties?.ServiceToken === undefined) this.report(`${path}.Properties.ServiceToken`, `is required (${type})`);
      if (properties) this.checkReferences(properties, `${path}.Properties`);
      return;
    }
    const definition = this.resourceType(type);
    if (!definition) {
      this.report(`${path}.Type`, `${type} is not a CloudFormation resource type`);
      return;
    }
    this.checkProperties(properties ?? {}, definition.properties, `${path}.Properties`, type);
  }

  private checkOutput(name: string, output: Json): void {
    const path = `Outputs.${name}`;
    if (!isObject(output)) {
      this.report(path, 'is not an output (an object with Value)');
      return;
    }
    for (const attribute of Object.keys(output)) {
      if (!OUTPUT_ATTRIBUTES.has(attribute)) this.report(`${path}.${attribute}`, `is not an output attribute (${[...OUTPUT_ATTRIBUTES].join(', ')})`);
    }
    if (output.Value === undefined) this.report(`${path}.Value`, 'is required');
    if (output.Condition !== undefined) this.checkConditionName(output.Condition, `${path}.Condition`);
    this.checkReferences(output, path);
  }

  private resourceType(type: string): Resource | undefined {
    const found = this.spec.lookup('resource', 'cloudFormationType', 'equals', type);
    return found.length === 1 ? found[0] : undefined;
  }

  /** The properties of a resource or of a structure: names known, required ones present, values of the right kind. */
  private checkProperties(values: Record<string, Json>, known: Record<string, Property>, path: string, owner: string): void {
    for (const [name, value] of Object.entries(values)) {
      const property = known[name];
      if (!property) {
        const near = closestName(name, Object.keys(known));
        this.report(`${path}.${name}`, `${owner} has no property ${name}${near ? ` (did you mean ${near}?)` : ''}`);
        this.checkReferences(value, `${path}.${name}`);
        continue;
      }
      this.checkValue(value, [property.type, ...(property.previousTypes ?? [])], `${path}.${name}`);
    }
    for (const [name, property] of Object.entries(known)) {
      if (property.required && !(name in values)) this.report(`${path}.${name}`, `is required by ${owner}`);
    }
  }

  /** A value against the types it may have (a property's current type and its earlier ones): any one will do. */
  private checkValue(value: Json, types: PropertyType[], path: string): void {
    const intrinsic = intrinsicName(value);
    if (intrinsic === 'Fn::If') {
      const branches = this.checkIf(value as Record<string, Json>, path);
      branches.forEach(([branch, where]) => this.checkValue(branch, types, where));
      return;
    }
    if (intrinsic) {
      // Known at deploy time only: its kind cannot be checked here, what it names can.
      this.checkReferences(value, path);
      return;
    }
    const attempts = types.map((type) => this.problemsOf(value, type, path));
    if (attempts.some((problems) => problems.length === 0)) return;
    // None fits: tell the closest fit's problems.
    const closest = attempts.reduce((best, problems) => (problems.length < best.length ? problems : best));
    this.problems.push(...closest);
  }

  /** The problems of a literal value (not an intrinsic function) against one type. */
  private problemsOf(value: Json, type: PropertyType, path: string): SpecProblem[] {
    const sub = new TemplateValidator(this.template, this.spec);
    sub.checkTyped(value, type, path);
    return sub.problems;
  }

  private checkTyped(value: Json, type: PropertyType, path: string): void {
    const kind = (expected: string) => this.report(path, `must be ${expected}, not ${describe(value)}`);
    switch (type.type) {
      case 'string':
      case 'date-time': {
        if (typeof value === 'number' || typeof value === 'boolean') return;
        if (typeof value !== 'string') return kind('a string');
        const allowed = type.type === 'string' ? type.allowedValues : undefined;
        if (allowed && allowed.length > 0 && !allowed.includes(value)) {
          this.report(path, `must be one of ${allowed.map((entry) => JSON.stringify(entry)).join(', ')}, not ${JSON.stringify(value)}`);
        }
        return;
      }
      case 'number':
      case 'integer': {
        const numeric =
          typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : undefined;
        if (numeric === undefined) return kind(type.type === 'integer' ? 'an integer' : 'a number');
        if (type.type === 'integer' && !Number.isInteger(numeric)) return kind('an integer');
        const allowed = type.type === 'integer' ? type.allowedValues : undefined;
        if (allowed && allowed.length > 0 && !allowed.includes(numeric)) this.report(path, `must be one of ${allowed.join(', ')}, not ${numeric}`);
        return;
      }
      case 'boolean':
        if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
        return kind('a boolean');
      case 'null':
        if (value !== null) kind('null');
        return;
      case 'json':
        // Any JSON (a policy document, a redrive policy...): the service reads it, not CloudFormation.
        this.checkReferences(value, path);
        return;
      case 'tag':
        if (!isObject(value)) return kind('a tag ({ Key, Value })');
        for (const key of Object.keys(value)) if (key !== 'Key' && key !== 'Value') this.report(`${path}.${key}`, 'a tag has only Key and Value');
        for (const key of ['Key', 'Value']) {
          if (!(key in value)) this.report(`${path}.${key}`, 'is required in a tag');
          else this.checkValue(value[key], [{ type: 'string' }], `${path}.${key}`);
        }
        return;
      case 'array':
        if (!Array.isArray(value)) return kind('a list');
        value.forEach((element, index) => {
          if (!isNoValue(element)) this.checkValue(element, [type.element], `${path}[${index}]`);
        });
        return;
      case 'map':
        if (!isObject(value)) return kind('a map');
        for (const [key, element] of Object.entries(value)) this.checkValue(element, [type.element], `${path}.${key}`);
        return;
      case 'union':
        this.checkValue(value, type.types, path);
        return;
      case 'ref': {
        if (!isObject(value)) return kind('a structure');
        const definition: TypeDefinition = this.spec.get('typeDefinition', type.reference);
        this.checkProperties(value, definition.properties, path, definition.name);
        return;
      }
      default:
        this.report(path, `has a type this validator does not know: ${JSON.stringify(type)}`);
    }
  }

  /** Fn::If: the condition exists; returns the branches that can hold a value (AWS::NoValue removes the property). */
  private checkIf(value: Record<string, Json>, path: string): Array<[Json, string]> {
    const args = value['Fn::If'];
    if (!Array.isArray(args) || args.length !== 3) {
      this.report(`${path}.Fn::If`, 'takes [condition name, value if true, value if false]');
      return [];
    }
    this.checkConditionName(args[0], `${path}.Fn::If[0]`);
    return ([1, 2] as const).flatMap((index): Array<[Json, string]> => (isNoValue(args[index]) ? [] : [[args[index], `${path}.Fn::If[${index}]`]]));
  }

  private checkConditionName(name: Json, path: string): void {
    if (typeof name !== 'string' || !(name in this.conditions)) this.report(path, `names no condition of the template: ${JSON.stringify(name)}`);
  }

  /** Everything that intrinsic functions anywhere inside `value` name: resources, attributes, parameters, conditions. */
  private checkReferences(value: Json, path: string): void {
    if (Array.isArray(value)) {
      value.forEach((element, index) => this.checkReferences(element, `${path}[${index}]`));
      return;
    }
    if (!isObject(value)) return;
    const intrinsic = intrinsicName(value);
    if (intrinsic === 'Ref') {
      this.checkRef(value.Ref, `${path}.Ref`);
      return;
    }
    if (intrinsic === 'Fn::GetAtt') {
      const args = value['Fn::GetAtt'];
      const [logicalId, attribute] = typeof args === 'string' ? splitOnce(args) : Array.isArray(args) ? args : [];
      if (typeof logicalId !== 'string' || typeof attribute !== 'string') this.report(`${path}.Fn::GetAtt`, 'takes [logical id, attribute]');
      else this.checkGetAtt(logicalId, attribute, `${path}.Fn::GetAtt`);
      return;
    }
    if (intrinsic === 'Fn::Sub') {
      this.checkSub(value['Fn::Sub'], `${path}.Fn::Sub`);
      return;
    }
    if (intrinsic === 'Fn::If') {
      for (const [branch, where] of this.checkIf(value, path)) this.checkReferences(branch, where);
      return;
    }
    // `{ Condition: name }` inside Fn::And/Or/Not of the Conditions section.
    if (Object.keys(value).length === 1 && 'Condition' in value && typeof value.Condition === 'string' && path.startsWith('Conditions.')) {
      this.checkConditionName(value.Condition, `${path}.Condition`);
      return;
    }
    for (const [key, element] of Object.entries(value)) this.checkReferences(element, `${path}.${key}`);
  }

  private checkRef(target: Json, path: string): void {
    if (typeof target !== 'string' || !(target in this.resources || target in this.parameters || PSEUDO_PARAMETERS.has(target))) {
      this.report(path, `names no resource, parameter or pseudo parameter: ${JSON.stringify(target)}`);
    }
  }

  private checkGetAtt(logicalId: string, attribute: string, path: string): void {
    const resource = this.resources[logicalId];
    if (!isObject(resource)) {
      this.report(path, `names no resource of the template: ${logicalId}`);
      return;
    }
    const type = resource.Type;
    if (typeof type !== 'string' || type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return;
    const definition = this.resourceType(type);
    if (definition && !(attribute in definition.attributes)) {
      this.report(path, `${type} has no attribute ${attribute} (it has ${Object.keys(definition.attributes).join(', ') || 'none'})`);
    }
  }

  /** `${Name}` is a Ref, `${Name.Attribute}` a GetAtt, `${!Literal}` is text; the map form's own variables are fine. */
  private checkSub(args: Json, path: string): void {
    const [text, variables] = typeof args === 'string' ? [args, {}] : Array.isArray(args) ? [args[0], args[1] ?? {}] : [undefined, undefined];
    if (typeof text !== 'string' || !isObject(variables)) {
      this.report(path, 'takes a string or [string, { variable: value }]');
      return;
    }
    this.checkReferences(variables, `${path}[1]`);
    for (const [, name] of text.matchAll(/\$\{([^}]*)\}/g)) {
      if (name === undefined || name.startsWith('!') || name in variables) continue;
      const trimmed = name.trim();
      if (trimmed.includes('.') && !PSEUDO_PARAMETERS.has(trimmed)) {
        const [logicalId, attribute] = splitOnce(trimmed);
        this.checkGetAtt(logicalId, attribute, `${path} \${${name}}`);
      } else {
        this.checkRef(trimmed, `${path} \${${name}}`);
      }
    }
  }
}

/** The known name a misspelt one most likely meant: the same but for case, or at most two edits away. */
function closestName(name: string, known: string[]): string | undefined {
  const sameButCase = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (sameButCase) return sameButCase;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function splitOnce(text: string): [string, string] {
  const dot = text.indexOf('.');
  return dot < 0 ? [text, ''] : [text.slice(0, dot), text.slice(dot + 1)];
}

function describe(value: Json): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
