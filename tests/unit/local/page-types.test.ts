import { describe, expectTypeOf, it } from 'vitest';
import type { AlertOutcome, CallAttemptOutcome, InspectionRecord, InspectionStatus as ApiInspectionStatus } from '../../../functions/core/inspection';
import type { LocalCallView } from '../../../local/local-services';
import type { CallEnd, LocalCall, PhoneSession } from '../../../local/phone/page/types';
import type { PhoneSessionView } from '../../../local/phone/phone-simulator';
import type { InspectionStats } from '../../../functions/core/inspection-stats';
import type { StationView } from '../../../functions/adapters/http/list-stations-route';
import type {
  AlertView,
  CallOutcome,
  InspectionStatus,
  InspectionView,
  LadderAttempt,
  PageAuthConfig,
  PageConfig,
  StationChoice,
  StatsView,
} from '../../../static-site/types';
import type { DeployedPageConfig } from '../../../deploy/deploy-site';
import type { LocalPageConfig } from '../../../local/local-stack';

// The page is plain JavaScript checked against its own small declarations (static-site/types.d.ts,
// local/phone/page/types.d.ts) so it does not depend on where functions/ keeps its types. These checks run in
// `tsc --noEmit` (npm test): they keep those declarations honest against what the API and the local stack answer.

/** An inspection as the API answers it: the record, with the anomaly mask inline (the HTTP adapter's InspectionView). */
type ApiInspectionView = InspectionRecord & { anomalyMaskDataUrl?: string };

/** Every key of every member of a union (keyof a union gives only the shared ones). */
type AllKeys<T> = T extends unknown ? keyof T : never;

describe('the page reads what the API answers', () => {
  it('knows every verdict, alert state and call outcome, by the same names', () => {
    expectTypeOf<InspectionStatus>().toEqualTypeOf<ApiInspectionStatus>();
    expectTypeOf<AlertView['status']>().toEqualTypeOf<AlertOutcome['status']>();
    expectTypeOf<CallOutcome>().toEqualTypeOf<CallAttemptOutcome>();
  });

  it('declares records the API can answer with, and no field the API does not have', () => {
    expectTypeOf<ApiInspectionView>().toExtend<InspectionView>();
    expectTypeOf<AlertOutcome>().toExtend<AlertView>();
    expectTypeOf<Exclude<keyof InspectionView, keyof ApiInspectionView>>().toBeNever();
    expectTypeOf<Exclude<AllKeys<AlertView>, AllKeys<AlertOutcome>>>().toBeNever();
    expectTypeOf<Exclude<keyof LadderAttempt, AllKeys<NonNullable<Extract<AlertOutcome, { status: 'ringing' }>['attempts']>[number]>>>().toBeNever();
  });
});

describe('the page reads the stats and stations the API answers', () => {
  it("declares a GET /stats answer the API can give (the page's own copy of core's InspectionStats), with no field it does not have", () => {
    expectTypeOf<InspectionStats>().toExtend<StatsView>();
    expectTypeOf<Exclude<keyof StatsView, keyof InspectionStats>>().toBeNever();
    expectTypeOf<Exclude<keyof StatsView['stations'][number], keyof InspectionStats['stations'][number]>>().toBeNever();
    expectTypeOf<Exclude<keyof StatsView['stations'][number]['buckets'][number], keyof InspectionStats['stations'][number]['buckets'][number]>>().toBeNever();
  });

  it('declares a station of GET /stations the API can answer with, and no field it does not have', () => {
    expectTypeOf<StationView>().toExtend<StationChoice>();
    expectTypeOf<Exclude<keyof StationChoice, keyof StationView>>().toBeNever();
  });
});

describe('the simulated phones read what the local stack answers', () => {
  it('declares calls and sessions the stack can answer with, and no field it does not have', () => {
    expectTypeOf<LocalCallView>().toExtend<LocalCall>();
    expectTypeOf<LocalCallView>().toExtend<CallEnd>();
    expectTypeOf<PhoneSessionView>().toExtend<PhoneSession>();
    expectTypeOf<Exclude<keyof LocalCall, keyof LocalCallView>>().toBeNever();
    expectTypeOf<Exclude<keyof PhoneSession, keyof PhoneSessionView>>().toBeNever();
  });
});

describe('the page reads the config.json it is given', () => {
  it("takes the local stack's and deploy:site's, sign-in and all", () => {
    expectTypeOf<LocalPageConfig>().toExtend<PageConfig>();
    expectTypeOf<DeployedPageConfig['auth']>().toExtend<PageAuthConfig>();
    expectTypeOf<DeployedPageConfig['apiBaseUrl']>().toEqualTypeOf<PageConfig['apiBaseUrl']>();
  });
});
