import { createHash } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CameraKey, CameraKeyDirectory } from '../../core/ports/camera-key-directory';

/**
 * The camera key table (CameraKeyTable): one item per key, keyed by the SHA-256 of the key's value so that the table
 * never holds a usable key. `npm run camera:key` writes it (deploy/camera-keys.ts); the authorizer only reads it.
 *
 * | attribute | |
 * |---|---|
 * | `keyHash` (pk) | hex SHA-256 of the key value |
 * | `keyId` | API Gateway's id of the key |
 * | `stationId` | the one station the key sends for |
 * | `state` | `active` or `revoked` |
 * | `label`, `createdAt`, `revokedAt`, `usagePlanId` | for people and the command |
 */
export function cameraKeyHash(keyValue: string): string {
  return createHash('sha256').update(keyValue, 'utf8').digest('hex');
}

export class DynamoDbCameraKeyDirectory implements CameraKeyDirectory {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async findByValue(keyValue: string): Promise<CameraKey | undefined> {
    const { Item: item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { keyHash: { S: cameraKeyHash(keyValue) } }, ConsistentRead: true }),
    );
    if (!item) return undefined;
    const keyId = item.keyId?.S;
    const stationId = item.stationId?.S;
    if (!keyId || !stationId) return undefined;
    return {
      keyId,
      stationId,
      // Anything but an explicit `active` is treated as revoked: a half-written item never lets a camera in.
      state: item.state?.S === 'active' ? 'active' : 'revoked',
      createdAt: item.createdAt?.S ?? '',
      ...(item.label?.S ? { label: item.label.S } : {}),
      ...(item.revokedAt?.S ? { revokedAt: item.revokedAt.S } : {}),
    };
  }
}
