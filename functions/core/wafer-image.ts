/** What the validator learned about an accepted wafer image. */
export interface ValidatedWaferImage {
  bytes: Buffer;
  format: 'png' | 'jpeg';
  /** image/png or image/jpeg, from the format the bytes proved, never from the request. */
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  sizeBytes: number;
  /** Lower-case hex sha256 of the bytes. */
  sha256: string;
}
