import { describe, expect, it } from 'vitest';
import { knownGroups, maySeeStation, mayDo, requirePermission, stationForUpload, type Principal } from '../../../functions/core/access';
import { ForbiddenError, StationNotPermittedError, UnauthenticatedError } from '../../../functions/core/errors';

const person = (...groups: Array<'operator' | 'engineer' | 'admin'>): Principal => ({ kind: 'person', subject: 's', name: 'n', groups });
const camera: Principal = { kind: 'camera', keyId: 'k1', stationId: 'litho-3' };

describe('who may do what (functions/core/access.ts)', () => {
  it.each([
    ['operator', ['inspect', 'view'], ['review', 'edit-stations', 'manage-access']],
    ['engineer', ['inspect', 'view', 'review', 'edit-stations'], ['manage-access']],
    ['admin', ['inspect', 'view', 'manage-access'], ['review', 'edit-stations']],
  ] as const)('grants %s exactly its rights', (group, allowed, refused) => {
    for (const permission of allowed) expect(mayDo(person(group), permission)).toBe(true);
    for (const permission of refused) expect(mayDo(person(group), permission)).toBe(false);
  });

  it('grants a person with no known group nothing, and a camera only sending and reading back', () => {
    expect(mayDo(person(), 'view')).toBe(false);
    expect(['inspect', 'view', 'review', 'edit-stations', 'manage-access'].map((permission) => mayDo(camera, permission as never))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('answers 401 without a caller and 403 without the right', () => {
    expect(() => requirePermission(undefined, 'view')).toThrow(UnauthenticatedError);
    expect(() => requirePermission(person('operator'), 'review')).toThrow(ForbiddenError);
    expect(requirePermission(person('engineer'), 'review')).toMatchObject({ kind: 'person' });
  });

  it("takes a camera's station from its key: none named is its own, another is refused", () => {
    expect(stationForUpload(camera, undefined)).toBe('litho-3');
    expect(stationForUpload(camera, 'litho-3')).toBe('litho-3');
    expect(() => stationForUpload(camera, 'etch-1')).toThrow(StationNotPermittedError);
    expect(stationForUpload(person('operator'), 'etch-1')).toBe('etch-1');
    expect(stationForUpload(person('operator'), undefined)).toBeUndefined();
  });

  it("lets a camera see its own station's inspections only, and people with view every station's", () => {
    expect(maySeeStation(camera, 'litho-3')).toBe(true);
    expect(maySeeStation(camera, 'etch-1')).toBe(false);
    expect(maySeeStation(person('operator'), 'etch-1')).toBe(true);
    expect(maySeeStation(person(), 'etch-1')).toBe(false);
  });

  it('keeps only the known group names, once each', () => {
    expect(knownGroups(['admin', ' operator', 'root', 'operator', 'Engineer'])).toEqual(['operator', 'admin']);
  });
});
