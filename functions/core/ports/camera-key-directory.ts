/** One camera's key as the product knows it: which station it sends for, and whether it still may. Never its value. */
export interface CameraKey {
  /** API Gateway's id of the key (safe to log and show; the value is shown once, at creation). */
  keyId: string;
  stationId: string;
  state: 'active' | 'revoked';
  /** A name for people ("litho-3 camera A"); optional. */
  label?: string;
  createdAt: string;
  revokedAt?: string;
}

/** Where camera keys are looked up by the value a camera sends (x-api-key). */
export interface CameraKeyDirectory {
  /** The key with this value, or undefined when no key has it. */
  findByValue(keyValue: string): Promise<CameraKey | undefined>;
}
