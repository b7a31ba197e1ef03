/** A browser-style S3 POST upload: send `fields` then the file (form field `file`) as multipart/form-data to `url`. */
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  method: 'POST';
  /** When S3 stops accepting the upload (ISO 8601). */
  expiresAt: string;
  /** The largest object the policy accepts, in bytes. */
  maxBytes: number;
}

/** What the upload policy binds: exactly one key, a size range, an image content type and, optionally, the station. */
export interface UploadGrant {
  key: string;
  maxBytes: number;
  expiresInSeconds: number;
  stationId?: string;
}

/** What S3 says about an uploaded object before it is read. */
export interface IncomingObjectHead {
  sizeBytes: number;
  /** The station the upload was granted for (`x-amz-meta-station-id`), as uploaded. */
  stationId?: string;
}

/** Why an upload was refused, as kept beside it under `rejected/`. */
export interface CameraRejection {
  inspectionId?: string;
  code: string;
  message: string;
  rejectedAt: string;
}

/** The camera uploads' side of the bucket (S3 in production): presigned uploads in, refused ones parked. */
export interface CameraUploadStore {
  /** A presigned POST that can only create `grant.key`, within the size and type bounds, until it expires. */
  presignUpload(grant: UploadGrant): Promise<PresignedUpload>;
  /** Size and metadata of an uploaded object, or undefined when it is gone (already processed). */
  headIncoming(key: string): Promise<IncomingObjectHead | undefined>;
  /** The object's bytes, or undefined when it is gone. */
  readIncoming(key: string): Promise<Uint8Array | undefined>;
  /** Keep the object under `rejected/` with the reason as metadata, plus `rejected/<name>.json` holding the reason. */
  reject(key: string, rejection: CameraRejection): Promise<void>;
  /** Remove the uploaded object once it is inspected or parked; a missing object is not an error. */
  deleteIncoming(key: string): Promise<void>;
  /** Why the upload for an inspection id was refused (its `rejected/<id>.json` note), or undefined when it was not. */
  readRejection(inspectionId: string): Promise<CameraRejection | undefined>;
}
