import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_CONNECT_CONTACT_FLOW_ID, LOCAL_CONNECT_INSTANCE_ID } from '../../../local/local-services';

// The local stack's Connect emulator refuses any instance or contact flow but LOCAL_CONNECT_INSTANCE_ID and
// LOCAL_CONNECT_CONTACT_FLOW_ID (ResourceNotFoundException, as Connect). The handlers must be configured with the same
// ids, or every call of the local stack would be refused: local-stack.ts either takes them from local-services.ts
// (the constants, or the services' connectInstanceId / connectContactFlowId) or spells the same values.
describe('the Connect ids of the local stack', () => {
  it('are the ones its Connect emulator accepts', async () => {
    // Prepare
    const source = await readFile(path.join(import.meta.dirname, '../../../local/local-stack.ts'), 'utf8');
    // `NAME: value,` lines of localEnvironment's defaults.
    const settings = new Map([...source.matchAll(/\n\s*([A-Z_]+): ([^,\n]+),/g)].map((match) => [match[1]!, match[2]!.trim()]));
    const value = (name: string) => settings.get(name);

    // Act
    const instance = value('CONNECT_INSTANCE_ID');
    const flow = value('CONNECT_CONTACT_FLOW_ID');

    // Assess
    expect([`'${LOCAL_CONNECT_INSTANCE_ID}'`, 'LOCAL_CONNECT_INSTANCE_ID', 'services.connectInstanceId']).toContain(instance);
    expect([`'${LOCAL_CONNECT_CONTACT_FLOW_ID}'`, 'LOCAL_CONNECT_CONTACT_FLOW_ID', 'services.connectContactFlowId']).toContain(flow);
  });
});
