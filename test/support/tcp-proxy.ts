import net from 'node:net';

/**
 * A TCP forwarder between the system and a real server, which a test can take down and bring
 * back: while down, connections are refused (the listening socket is closed), as when a mail
 * server is unreachable. Nothing is faked: traffic passes to the real server when up. It can
 * also stall: accept connections and never answer, as a server that hangs.
 */
export class TcpProxy {
  private server?: net.Server;
  /** While set, new connections are held silent and cut after this many ms instead of forwarded. */
  private stallMs?: number;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(port, target);
    await proxy.up();
    return proxy;
  }

  async up(): Promise<void> {
    this.stallMs = undefined;
    if (this.server) return;
    const server = net.createServer((client) => {
      if (this.stallMs !== undefined) return this.hold(client, this.stallMs);
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /**
   * Accepts connections but never answers, and cuts each after `ms`: whatever connects waits
   * that long, then fails. Open connections are cut first; `up` forwards new ones again (those
   * already held keep waiting out their time).
   */
  async stall(ms: number): Promise<void> {
    await this.down();
    await this.up();
    this.stallMs = ms;
  }

  private hold(client: net.Socket, ms: number): void {
    this.sockets.add(client);
    const cut = setTimeout(() => client.destroy(), ms);
    client.on('close', () => {
      clearTimeout(cut);
      this.sockets.delete(client);
    });
    client.on('error', () => client.destroy());
  }

  /** Refuses new connections and cuts the open ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
