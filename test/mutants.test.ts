import { ROOT_DIR } from '../common/config';
import { MUTANTS, mutated } from '../scripts/mutants';

/**
 * `npm run mutants` breaks the code on purpose and expects the reliability suites to fail. Each
 * mutant must still find its text in the code (once), or it would break nothing and prove nothing;
 * this keeps them in step with the code between runs of that (long) check.
 */
test.each(MUTANTS.map((m) => [m.name, m] as const))('mutant %s still finds the guard it takes away, once', (_name, m) => {
  const text = mutated(ROOT_DIR, m);
  expect(text).toContain(m.replace);
  expect(text).not.toContain(m.find);
});

test('a mutant whose text is gone is refused, not run as an unbroken build', () => {
  expect(() => mutated(ROOT_DIR, { ...MUTANTS[0]!, find: 'no such text in the code at all' })).toThrow(/0 times, not once/);
});
