import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../../functions/config/environment';
import { unacknowledgedAlertsConfig } from '../../../functions/config/unacknowledged-alerts';

describe('unacknowledgedAlertsConfig', () => {
  it('names no topic unless given one, and refuses a topic that is not an ARN', () => {
    // Act + Assess
    expect(parseEnvironment([unacknowledgedAlertsConfig], {})).toEqual({});
    expect(() => parseEnvironment([unacknowledgedAlertsConfig], { ALERT_UNACKNOWLEDGED_TOPIC_ARN: 'alerts' })).toThrow(
      /ALERT_UNACKNOWLEDGED_TOPIC_ARN must be an SNS topic ARN/,
    );
  });
});
