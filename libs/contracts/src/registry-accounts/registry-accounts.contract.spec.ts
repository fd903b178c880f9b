import { ACCOUNT_NAME_PATTERN } from './registry-accounts.contract';

describe('ACCOUNT_NAME_PATTERN', () => {
  it('takes users of two characters or more and robots of any team, one-letter teams included', () => {
    for (const name of ['ab', 'alice', 'ci.bot-1', 'a+ci', 'shop+deploy', 'team_x+r']) expect(ACCOUNT_NAME_PATTERN.test(name)).toBe(true);
  });

  it('refuses one-letter users, empty parts, capitals and a second +', () => {
    for (const name of ['a', '+ci', 'a+', 'Alice', 'a+b+c', '-ab', '']) expect(ACCOUNT_NAME_PATTERN.test(name)).toBe(false);
  });
});
