import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';

/**
 * The value of the people's usage-plan key (PeopleApiKey), read once per container with GetApiKey: the request
 * authorizer hands it to API Gateway for signed-in people (usageIdentifierKey), so their requests count against their
 * own plan, apart from every camera's. Its value lives only in API Gateway and this container's memory; the role may
 * read exactly this one key.
 */
export function peopleUsageKey(options: { client: APIGatewayClient; apiKeyId: string }): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= options.client.send(new GetApiKeyCommand({ apiKey: options.apiKeyId, includeValue: true })).then((key) => {
      if (!key.value) throw new Error(`API key ${options.apiKeyId} has no value`);
      return key.value;
    });
    // A failed read is tried again by the next request rather than remembered.
    value.catch(() => (value = undefined));
    return value;
  };
}
