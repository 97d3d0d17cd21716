import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME, parseQueueUrl } from './queue-url.js';

describe('parseQueueUrl', () => {
  it('reads host, port and queue name; the database comes from ?db=', () => {
    expect(parseQueueUrl('redis://cache:6380/photos')).toMatchObject({ host: 'cache', port: 6380, name: 'photos', db: 0, tls: false });
    expect(parseQueueUrl('redis://cache')).toMatchObject({ port: 6379, name: DEFAULT_QUEUE_NAME });
    const secure = parseQueueUrl('rediss://bob:s%40cret@cache:6390/q?db=3');
    expect(secure).toMatchObject({ username: 'bob', password: 's@cret', db: 3, tls: true, name: 'q' });
    expect(secure.display).toBe('rediss://bob:***@cache:6390/q?db=3');
  });

  it('names what is wrong', () => {
    expect(() => parseQueueUrl('cache:6379')).toThrow('queue URL "cache:6379" has scheme cache:; expected redis://host:port[/queue-name]');
    expect(() => parseQueueUrl('http://cache/q')).toThrow(/has scheme http:/);
    expect(() => parseQueueUrl('redis://cache/a/b')).toThrow('queue name "a/b" may not contain "/" or ":"');
    expect(() => parseQueueUrl('redis://cache/q?db=x')).toThrow('db=x is not a database number');
  });
});
