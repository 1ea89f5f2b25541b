import { settledAttribution } from './decision-usage';

describe('settledAttribution', () => {
  it.each([
    [
      'the usage names a different team: its own wins',
      { team: 'b' },
      { team: 'a', feature: 'f' },
      null,
      { team: 'b', feature: 'f' },
    ],
    ['the usage names nothing: the decision completes it', {}, { team: 'a' }, null, { team: 'a' }],
    ['an empty value counts as left out', { team: '' }, { team: 'a' }, null, { team: 'a' }],
    [
      "the decision's virtual key binds the team: it wins over the usage",
      { team: 'claimed', feature: 'x' },
      { team: 'bound', virtual_key: 'vk-1' },
      { team: 'bound' },
      { team: 'bound', feature: 'x', virtual_key: 'vk-1' },
    ],
    [
      "the usage claims another virtual key: the decision's wins",
      { virtual_key: 'vk-other' },
      { virtual_key: 'vk-1' },
      {},
      { virtual_key: 'vk-1' },
    ],
  ])('should store and charge %s', (_case, own, held, bound, expected) => {
    expect(settledAttribution(own, held, bound)).toEqual(expected);
  });
});
