import { writeFileSync } from 'node:fs'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { loadConfig } from '../src/config/config.js'
import { connectRedis, createRedis } from '../src/redis/client.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { freePort, run, startRedisServer, tempDir, type RedisServer } from './helpers/redis-server.js'

describe('createRedis', () => {
  it('builds a Sentinel client and a Cluster client with the prefix and REDIS_URL credentials', () => {
    const sentinel = createRedis(
      loadConfig({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_URL: 'redis://app:p%40ss@ignored:6379/2',
      }).redis,
      'sb:',
    )
    expect(sentinel).toBeInstanceOf(Redis)
    const o = (sentinel as Redis).options
    expect(o.sentinels).toEqual([
      { host: 's1', port: 26379 },
      { host: 's2', port: 26379 },
    ])
    expect([o.name, o.keyPrefix, o.username, o.password, o.db]).toEqual(['mymaster', 'sb:', 'app', 'p@ss', 2])
    expect(o.lazyConnect).toBe(true)

    const cluster = createRedis(
      loadConfig({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001', REDIS_URL: 'rediss://:secret@ignored:6379' })
        .redis,
      'sb:',
    )
    expect(cluster).toBeInstanceOf(Cluster)
    const c = (cluster as Cluster).options
    expect(c.redisOptions?.keyPrefix).toBe('sb:')
    expect(c.keyPrefix).toBe('sb:')
    expect(c.redisOptions?.password).toBe('secret')
    expect(c.redisOptions?.tls).toEqual({})
    expect(c.lazyConnect).toBe(true)
  })
})

/** One master and one Sentinel watching it: the app finds the master through the Sentinel. */
describe('through a Sentinel', () => {
  const tmp = tempDir('sentinel')
  const servers: RedisServer[] = []
  let masterPort: number
  let t: TestApp

  beforeAll(async () => {
    masterPort = await freePort()
    servers.push(await startRedisServer(masterPort, ['--appendonly', 'no', '--dir', tmp.dir]))
    const sentinelPort = await freePort()
    const conf = `${tmp.dir}/sentinel.conf`
    writeFileSync(conf, `sentinel monitor sbmaster 127.0.0.1 ${masterPort} 1\n`)
    servers.push(await startRedisServer(sentinelPort, ['--sentinel', '--dir', tmp.dir], conf))
    const env = { REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, REDIS_SENTINEL_NAME: 'sbmaster' }
    t = await startTestApp({
      name: 'sentinel',
      env,
      openRedis: async (prefix) => {
        const redis = createRedis(loadConfig(env).redis, prefix)
        await connectRedis(redis, loadConfig(env).redis)
        return redis
      },
    })
  }, 30_000)

  afterAll(async () => {
    await t?.close()
    await Promise.all(servers.map((s) => s.stop()))
    tmp.remove()
  })

  it('signs up, keeps the session on the master and reports ready', async () => {
    expect(t.config.redis.kind).toBe('sentinel')
    const { agent } = await signUp(t.app, 'Sentinel Org')
    await agent.get('/dashboard').expect(200)
    await supertest(t.app).get('/readyz').expect(200, { status: 'ready' })
    const { stdout } = await run('redis-cli', [
      '-p',
      String(masterPort),
      '--scan',
      '--pattern',
      `${t.prefix}*`,
    ])
    expect(stdout).toContain(`${t.prefix}sess:`)
    expect(stdout).toContain(`${t.prefix}email:`)
  })
})
