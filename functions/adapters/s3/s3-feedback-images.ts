import { CopyObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { FeedbackImages } from '../../core/ports/feedback-images';

/**
 * Labelled images in the image bucket, under feedback/<station>/<verdict>/: a server-side copy of the stored image (no
 * bytes through the function), encrypted and retained like the inspections. Training reads the folder of a station.
 */
export class S3FeedbackImages implements FeedbackImages {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  async keep(imageKey: string, feedbackKey: string): Promise<void> {
    const { client, bucket } = this.options;
    await client.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: feedbackKey,
        // Keys are ours (prefix, station id, ULID): no character needs more than this encoding.
        CopySource: `${bucket}/${imageKey.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'COPY',
      }),
    );
  }

  async forget(feedbackKey: string): Promise<void> {
    await this.options.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: feedbackKey }));
  }
}
