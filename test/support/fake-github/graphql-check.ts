import type {
  GraphQLError} from 'graphql';
import {
  Kind,
  Lexer,
  Source,
  TokenKind,
  TypeInfo,
  getNamedType,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
  FieldsOnCorrectTypeRule,
  type ASTNode,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * The fields the fake GitHub serves, per type of GitHub's schema. A field GitHub has but the fake
 * does not serve would resolve to null and pass unnoticed, so a query selecting one is refused as
 * one selecting a field GitHub does not have (`undefinedField`). A new field in posture's queries
 * must be added here and served by repositoryNode in graphql.ts.
 */
export const KNOWN_FIELDS: Record<string, readonly string[]> = {
  Query: ['rateLimit', 'nodes', 'node', 'repository', 'viewer'],
  RateLimit: ['cost', 'limit', 'remaining', 'resetAt', 'used', 'nodeCount'],
  Node: ['id'],
  Repository: [
    'id',
    'databaseId',
    'name',
    'nameWithOwner',
    'url',
    'visibility',
    'isPrivate',
    'isArchived',
    'isFork',
    'isEmpty',
    'viewerPermission',
    'viewerCanAdminister',
    'isSecurityPolicyEnabled',
    'securityPolicyUrl',
    'hasVulnerabilityAlertsEnabled',
    'defaultBranchRef',
    'rulesets',
    'deployKeys',
    'collaborators',
  ],
  Ref: ['id', 'name', 'prefix', 'branchProtectionRule'],
  BranchProtectionRule: [
    'id',
    'pattern',
    'requiresApprovingReviews',
    'requiredApprovingReviewCount',
    'allowsForcePushes',
    'allowsDeletions',
    'isAdminEnforced',
    'requiresCodeOwnerReviews',
    'dismissesStaleReviews',
  ],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'],
  RepositoryRulesetConnection: ['totalCount', 'pageInfo', 'nodes', 'edges'],
  RepositoryRulesetEdge: ['cursor', 'node'],
  RepositoryRuleset: ['id', 'databaseId', 'name', 'enforcement', 'target', 'source'],
  DeployKeyConnection: ['totalCount', 'pageInfo', 'nodes', 'edges'],
  DeployKeyEdge: ['cursor', 'node'],
  DeployKey: ['id', 'title', 'readOnly', 'createdAt', 'verified', 'enabled', 'key'],
  RepositoryCollaboratorConnection: ['totalCount', 'pageInfo', 'nodes', 'edges'],
  RepositoryCollaboratorEdge: ['cursor', 'permission', 'node'],
  User: ['id', 'login'],
  Organization: ['id', 'login'],
};

/** One error as GitHub's GraphQL API reports it. */
export type GithubGraphqlError = {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
  type?: string;
};

/** graphql-ruby's names for the tokens graphql-js lexes, as GitHub's parse errors print them. */
const TOKEN_NAMES: Partial<Record<string, string>> = {
  [TokenKind.BRACE_L]: 'LCURLY',
  [TokenKind.BRACE_R]: 'RCURLY',
  [TokenKind.PAREN_L]: 'LPAREN',
  [TokenKind.PAREN_R]: 'RPAREN',
  [TokenKind.BRACKET_L]: 'LBRACKET',
  [TokenKind.BRACKET_R]: 'RBRACKET',
  [TokenKind.COLON]: 'COLON',
  [TokenKind.DOLLAR]: 'VAR_SIGN',
  [TokenKind.AT]: 'DIR_SIGN',
  [TokenKind.SPREAD]: 'ELLIPSIS',
  [TokenKind.EQUALS]: 'EQUALS',
  [TokenKind.BANG]: 'BANG',
  [TokenKind.PIPE]: 'PIPE',
  [TokenKind.AMP]: 'AMP',
  [TokenKind.NAME]: 'IDENTIFIER',
  [TokenKind.INT]: 'INT',
  [TokenKind.FLOAT]: 'FLOAT',
  [TokenKind.STRING]: 'STRING',
  [TokenKind.BLOCK_STRING]: 'STRING',
};

/** The token at a syntax error's position, for GitHub's `Parse error on "}" (RCURLY) at [4, 3]`. */
const tokenAt = (query: string, position: number): { text: string; kind: string } | undefined => {
  const lexer = new Lexer(new Source(query));
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.start >= position) return { text: query.slice(token.start, token.end), kind: TOKEN_NAMES[token.kind] ?? 'error' };
    }
  } catch {
    // A character the lexer cannot read: graphql-ruby reports it as an `(error)` token.
    return { text: query.charAt(position), kind: 'error' };
  }
  return undefined;
};

const parseError = (query: string, error: GraphQLError): GithubGraphqlError => {
  const location = error.locations?.[0];
  const token = error.positions?.[0] !== undefined ? tokenAt(query, error.positions[0]) : undefined;
  if (!token || !location) return { message: 'Unexpected end of document', locations: [] };
  return { message: `Parse error on ${JSON.stringify(token.text)} (${token.kind}) at [${location.line}, ${location.column}]`, locations: [{ line: location.line, column: location.column }] };
};

const locationOf = (node: ASTNode): { line: number; column: number }[] => {
  const loc = node.loc;
  if (!loc) return [];
  return [{ line: loc.startToken.line, column: loc.startToken.column }];
};

/** GitHub's path to a node of the document: `["query Name", "repositories", "... on Repository", "field"]`. */
const documentPath = (ancestors: readonly (ASTNode | readonly ASTNode[])[], node: ASTNode): string[] => {
  const path: string[] = [];
  for (const ancestor of [...ancestors, node]) {
    if (Array.isArray(ancestor)) continue;
    const n = ancestor as ASTNode;
    if (n.kind === Kind.OPERATION_DEFINITION) path.push(n.name ? `${n.operation} ${n.name.value}` : n.operation);
    else if (n.kind === Kind.FRAGMENT_DEFINITION) path.push(`fragment ${n.name.value}`);
    else if (n.kind === Kind.INLINE_FRAGMENT) path.push(n.typeCondition ? `... on ${n.typeCondition.name.value}` : '...');
    else if (n.kind === Kind.FIELD) path.push(n.alias?.value ?? n.name.value);
  }
  return path;
};

/**
 * Every field the document selects that GitHub's schema or the fake does not have, as GitHub
 * reports an undefined field: `Field 'x' doesn't exist on type 'Y'` with code `undefinedField`.
 */
const undefinedFields = (schema: GraphQLSchema, document: DocumentNode, knownFields: Record<string, readonly string[]>): GithubGraphqlError[] => {
  const errors: GithubGraphqlError[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: (node, _key, _parent, _path, ancestors) => {
        const fieldName = node.name.value;
        if (fieldName === '__typename') return;
        const parent = typeInfo.getParentType();
        if (!parent) return;
        const typeName = getNamedType(parent).name;
        const known = Object.hasOwn(knownFields, typeName) ? knownFields[typeName] : undefined;
        if (typeInfo.getFieldDef() && known?.includes(fieldName)) return;
        errors.push({
          path: documentPath(ancestors, node),
          extensions: { code: 'undefinedField', typeName, fieldName },
          locations: locationOf(node),
          message: `Field '${fieldName}' doesn't exist on type '${typeName}'`,
        });
      },
    }),
  );
  return errors;
};

/** graphql-js's other validation errors, in GitHub's wording where GitHub's is known. */
const githubValidationError = (error: GraphQLError, operation: OperationDefinitionNode | undefined): GithubGraphqlError => {
  const locations = (error.locations ?? []).map(({ line, column }) => ({ line, column }));
  const argument = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"\./.exec(error.message);
  if (argument) {
    return { extensions: { code: 'argumentNotAccepted', name: argument[3], typeName: 'Field', argumentName: argument[1] }, locations, message: `Field '${argument[3]}' doesn't accept argument '${argument[1]}'` };
  }
  const unused = /^Variable "\$(\w+)" is never used(?: in operation "(\w+)")?\.$/.exec(error.message);
  if (unused) {
    const name = unused[2] ?? operation?.name?.value ?? 'anonymous';
    return { extensions: { code: 'variableNotUsed', variableName: unused[1] }, locations, message: `Variable $${unused[1]} is declared by ${name} but not used` };
  }
  return { locations, message: error.message };
};

/** The operation a request runs: the one named by operationName, or the document's only one. */
const operationOf = (document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined => {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
};

/** The validation rules graphql-js applies, less the field rule: undefinedFields reports those against KNOWN_FIELDS too. */
const OTHER_RULES = specifiedRules.filter((rule) => rule !== FieldsOnCorrectTypeRule);

/**
 * Parses and validates a GraphQL request as GitHub does before it executes anything, answering in
 * GitHub's error format: a document that does not parse, a field GitHub (or the fake) does not have,
 * an argument a field does not take, a declared variable never used, a variable value its type
 * does not accept (`Variable $ids of type [ID!]! was provided invalid value`). One difference is
 * deliberate: GitHub ignores a variable the document does not declare, so a misspelt variable name
 * quietly becomes null; the fake refuses it. `knownFields` defaults to what the fake serves.
 */
export const checkGraphqlRequest = (
  schema: GraphQLSchema,
  query: string,
  variables: Record<string, unknown>,
  operationName: string | undefined,
  knownFields: Record<string, readonly string[]> = KNOWN_FIELDS,
): { document: DocumentNode } | { errors: GithubGraphqlError[] } => {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    return { errors: [parseError(query, error as GraphQLError)] };
  }
  const operation = operationOf(document, operationName);
  const errors = [...undefinedFields(schema, document, knownFields), ...validate(schema, document, OTHER_RULES).map((e) => githubValidationError(e, operation))];
  if (errors.length > 0) return { errors };
  if (!operation) return { errors: [{ message: operationName === undefined ? 'An operation name is required' : `No operation named "${operationName}"` }] };
  const declared = new Set((operation.variableDefinitions ?? []).map((d) => d.variable.name.value));
  const undeclared = Object.keys(variables).filter((name) => !declared.has(name));
  if (undeclared.length > 0) {
    return {
      errors: undeclared.map((name) => ({
        extensions: { code: 'variableNotDeclared', variableName: name },
        locations: locationOf(operation),
        message: `Variable $${name} was provided but ${operation.name?.value ?? 'the operation'} does not declare it`,
      })),
    };
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) {
    return {
      errors: coerced.errors.map((error) => {
        const definition = (operation.variableDefinitions ?? []).find((d) => error.message.includes(`"$${d.variable.name.value}"`));
        const name = definition?.variable.name.value ?? '?';
        const type = definition ? query.slice(definition.type.loc?.start, definition.type.loc?.end) : '?';
        return {
          extensions: { value: variables[name] ?? null, problems: [{ path: [], explanation: error.message }] },
          locations: definition ? locationOf(definition) : [],
          message: `Variable $${name} of type ${type} was provided invalid value`,
        };
      }),
    };
  }
  return { document };
};
