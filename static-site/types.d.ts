// The shapes the page reads: its config.json, the inspection API's records and its errors. Only the fields the page
// uses. tests/unit/local/page-types.test.ts holds them to the API's own types (functions/), so a new verdict, alert
// state or call outcome there fails that test until the page knows how to say it. Never uploaded (deploy:site skips
// .d.ts files).

/** config.json beside the page: written by `npm run deploy:site`, or answered by the local stack. */
export interface PageConfig {
  /** The API's base URL, without a trailing slash. */
  apiBaseUrl: string;
  /** How people sign in; null when the API asks nobody to (the local stack with WAFERWATCH_AUTH=off). */
  auth: PageAuthConfig | null;
  /** True on the local stack, which adds its own panel to the page (see LocalPanelModule). */
  local: boolean;
}

/** config.json's `auth`: the OpenID provider and the page's public client (authorization code with PKCE). */
export interface PageAuthConfig {
  /** The issuer: https://cognito-idp.<region>.amazonaws.com/<pool id> deployed, the local provider locally. */
  authority: string;
  clientId: string;
  /** What the page asks for (`openid email profile`). */
  scope: string;
  /**
   * Where to sign out when the provider's discovery document names no end_session_endpoint (Cognito: managed login's
   * `/logout`, given `client_id` and `logout_uri`). Unset: the provider's own RP-initiated sign-out.
   */
  signOutUrl?: string;
}

/** The `error` object of an API error body: `{ code, message, ...details }` (functions/http/responses.ts). */
export interface ApiError {
  code?: string;
  message?: string;
  maxBytes?: number;
  minSide?: number;
  maxSide?: number;
  inspectionId?: string;
  stationId?: string;
  requestId?: string;
  [detail: string]: unknown;
}

/** A verdict (functions/core/inspection.ts InspectionStatus). */
export type InspectionStatus = 'normal' | 'needs-review' | 'anomalous' | 'not-inspected';

/** How one call of a ladder went (CallAttemptOutcome). */
export type CallOutcome = 'ringing' | 'answered' | 'acknowledged' | 'no-answer' | 'busy' | 'voicemail' | 'ended-without-key' | 'not-started' | 'unconfirmed';

/** What an operator decided with a key (Acknowledgement). */
export type Decision = 'keep' | 'scrap';

/** One call of an escalation ladder, as the record keeps it (CallAttempt). */
export interface LadderAttempt {
  level: number;
  loop: number;
  contactName: string;
  outcome: CallOutcome;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
}

/** What became of an inspection's operator alert (AlertOutcome), as far as the page says it. */
export type AlertView =
  | { status: 'queued'; queuedAt?: string }
  | { status: 'ringing'; level: number; loop: number; attempts: LadderAttempt[]; startedAt?: string }
  | {
      status: 'acknowledged';
      acknowledgedBy: { contactName: string; decision: Decision; at?: string };
      acknowledgedAt?: string;
      viaInspectionId?: string;
      attempts?: LadderAttempt[];
    }
  | { status: 'unacknowledged'; attempts: LadderAttempt[]; unacknowledgedAt?: string }
  | { status: 'placed'; foldedCount?: number }
  | { status: 'folded'; intoInspectionId: string }
  | { status: 'skipped'; reason: 'not-anomalous' | 'below-threshold' | 'not-inspected' | 'duplicate' }
  | { status: 'failed'; reason: string; attempts?: LadderAttempt[] }
  | { status: 'not-queued'; reason: string };

/** An inspection as the API answers it (functions/routes/inspection-view.ts InspectionView). */
export interface InspectionView {
  inspectionId: string;
  stationId: string;
  status: InspectionStatus;
  createdAt: string;
  /** The stored image: its size and pixels, for the viewer's facts. */
  image?: { contentType: string; sizeBytes: number; width: number; height: number };
  /** The detector's answer; `anomalyMaskKey` says a mask exists (GET /inspections/{id} carries it inline). */
  detection?: { Confidence: number; anomalyMaskKey?: string; Detector?: { name: string; modelVersion: string; model?: string } };
  detectionError?: { message: string };
  /** The anomaly mask as a PNG data URL (single records only, not the list). */
  anomalyMaskDataUrl?: string;
  alert: AlertView;
  decision?: { decision: 'keep' | 'scrap' | 'hold'; decidedAt?: string };
  /** What people said the wafer is: an operator's answer on the call, or an engineer's review. */
  label?: { verdict: 'normal' | 'anomalous'; source: 'operator-call' | 'engineer-review'; by: string; at: string; note?: string };
}

/** GET /inspections/{id}/image: the stored wafer photo in base64, or `image: null` and `tooLarge` when it cannot travel inline. */
export interface InspectionImage {
  inspectionId: string;
  contentType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  sizeBytes?: number;
  image: string | null;
  tooLarge: boolean;
}

/** POST /inspections's answer for bytes already inspected: the earlier inspection, and where and when it was. */
export interface AlreadyInspected {
  inspectionId: string;
  at: string;
  stationId: string;
}

/** GET /inspections's page: the records, and the cursor of the next page (null at the end). */
export interface InspectionPage {
  inspections: InspectionView[];
  nextCursor: string | null;
}

/** What GET /inspections can be asked for (all optional). */
export interface InspectionQuery {
  limit?: number;
  cursor?: string;
  station?: string;
  status?: InspectionStatus;
  decision?: 'keep' | 'scrap' | 'hold' | 'none';
  /** `open`: queued, ringing or unacknowledged; or one alert status. */
  alert?: 'open' | AlertView['status'];
  /** ISO 8601 instants. */
  from?: string;
  to?: string;
}

/** A station people may pick (GET /stations). */
export interface StationChoice {
  stationId: string;
  name: string;
  escalationLevels: number;
}

/** GET /stations: `registry: false` when the installation has no station registry (free text then). */
export interface StationList {
  registry: boolean;
  stations: StationChoice[];
}

/** One bucket of a station's statistics. */
export interface StatsBucket {
  start: string;
  inspections: number;
  anomalies: number;
  calls: number;
}

/** One station's statistics over the window. */
export interface StationStats {
  stationId: string;
  inspections: number;
  anomalies: number;
  calls: number;
  acknowledged: number;
  unacknowledged: number;
  timeToAcknowledgeSeconds: { p50: number | null; p95: number | null };
  buckets: StatsBucket[];
}

/** GET /stats?window=shift|day|week&station=. */
export interface StatsView {
  window: 'shift' | 'day' | 'week';
  from: string;
  to: string;
  bucketMinutes: number;
  stations: StationStats[];
  partial?: boolean;
}

/**
 * What the page hands a panel that only the local stack serves (its simulated operator phones), loaded when config.json
 * says `local: true`. The deployed page never loads one.
 */
export interface LocalPanelHost {
  apiBaseUrl: string;
  /** The panel goes right after this element. */
  anchor: Element;
  /** The page's words for an operator's decision, so the panel and the cards say it alike. */
  decisionWords(decision: unknown): string;
  /** A call about this inspection rang or ended: the page refreshes the history and the inspection's card. */
  inspectionChanged(inspectionId: string | undefined): void;
}

/** A local-only panel module: `start` puts the panel on the page. */
export interface LocalPanelModule {
  start(host: LocalPanelHost): Promise<void>;
}
