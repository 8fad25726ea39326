/**
 * A Linux TAP device as a sockstack NetDevice: Ethernet frames in and out of the kernel.
 *
 * Opening: /dev/net/tun with O_NONBLOCK, then TUNSETIFF with IFF_TAP | IFF_NO_PI (Linux
 * Documentation/networking/tuntap.rst), which attaches to the named device or creates it;
 * a device we create goes away when we close it. The device is brought up with
 * SIOCSIFFLAGS unless told not to.
 *
 * Frames out: one write(2) per frame from the main thread (a TAP write never blocks; the
 * kernel queues the frame to its own stack). Frames in: a reader thread (tap-reader.ts)
 * polls and reads, and posts batches; the main thread hands each frame to the receiver.
 */
import { closeSync, existsSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NetDevice } from '../../stack/device.js';
import { errnoName, loadLibc, type Libc } from './libc.js';
import { CTL_INFLIGHT, CTL_STOP, type FrameBatch, type ReaderData } from './tap-protocol.js';

const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCGIFMTU = 0x8921;
const SIOCGIFHWADDR = 0x8927;
const IFF_UP = 0x1;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
/** struct ifreq: 16 bytes of name, then a 24-byte union. */
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;

export interface TapOptions {
  /** Device name (at most 15 characters), e.g. 'tap0'. Created if absent. */
  name: string;
  /** MAC address sockstack uses on this link; default: random, locally administered. */
  mac?: Uint8Array;
  /** Bring the device up (SIOCSIFFLAGS IFF_UP). Default true. */
  up?: boolean;
  /** Largest number of received batches waiting for the main thread (default 64). */
  maxBatches?: number;
}

export interface TapCounters {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames the kernel refused (write failed); counted, never thrown. */
  txErrors: number;
}

/** Why a TAP device could not be opened, with the errno name ('EPERM') when there is one. */
export class TapError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TapError';
  }
}

function explainOpen(code: string, name: string): string {
  switch (code) {
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return `/dev/net/tun is missing (${code}): load the tun module (modprobe tun) or, in a container, pass the device in (docker run --device /dev/net/tun --cap-add NET_ADMIN)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied opening /dev/net/tun or TAP device '${name}' (${code}): run as root, grant CAP_NET_ADMIN (setcap cap_net_admin+ep $(which node)), or create the device for your user first: sudo ip tuntap add dev ${name} mode tap user $USER`;
    case 'EBUSY':
      return `TAP device '${name}' is in use by another process (EBUSY): a TAP device without IFF_MULTI_QUEUE takes one reader`;
    case 'EINVAL':
      return `'${name}' exists but is not a TAP device (EINVAL): it may be a TUN device or another kind of interface; pick another name or delete it (ip link del ${name})`;
    default:
      return `cannot open TAP device '${name}': ${code}`;
  }
}

function ifreq(name: string): Uint8Array {
  const r = new Uint8Array(IFREQ_SIZE);
  r.set(new TextEncoder().encode(name));
  return r;
}

/**
 * Starts the reader thread: the built .js next to the driver, or, when run from source, the .ts
 * through tsx's API (a worker does not inherit a loader registered at run time).
 */
function startReader(data: ReaderData): Worker {
  const js = new URL('./tap-reader.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data });
  const tsx = import.meta.resolve('tsx/esm/api');
  const ts = new URL('./tap-reader.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

export class TapDevice implements NetDevice {
  readonly counters: TapCounters = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txErrors: 0 };
  /** The device's name as the kernel has it. */
  readonly name: string;
  /** sockstack's MAC address on this link. */
  readonly mac: Uint8Array;
  /** The MTU the kernel has for the device, read when it was opened. */
  readonly mtu: number;
  /** The kernel side's own MAC address (the interface's address in `ip link`). */
  readonly kernelMac: Uint8Array;
  /** True when this call created the device (it disappears again on close). */
  readonly created: boolean;
  readonly checksumOffload = false;
  private receiver: ((frame: Uint8Array) => void) | null = null;
  private readonly control = new SharedArrayBuffer(8);
  private readonly ctl = new Int32Array(this.control);
  private readonly wakeBuf = new Uint8Array(8);
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;
  private lastError: string | null = null;

  private constructor(
    private readonly libc: Libc,
    private readonly fd: number,
    private readonly wakeFd: number,
    opts: { name: string; mac: Uint8Array; mtu: number; kernelMac: Uint8Array; created: boolean; maxBatches: number },
  ) {
    this.name = opts.name;
    this.mac = opts.mac;
    this.mtu = opts.mtu;
    this.kernelMac = opts.kernelMac;
    this.created = opts.created;
    const maxFrame = Math.max(opts.mtu + 22, 1536); // Ethernet header, a VLAN tag and slack
    const data: ReaderData = {
      fd,
      wakeFd,
      control: this.control,
      maxFrame,
      batchBytes: Math.max(maxFrame * 8, 512 * 1024),
      maxBatches: opts.maxBatches,
    };
    this.worker = startReader(data);
    this.worker.on('message', (m: FrameBatch | { error: string }) => this.onMessage(m));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('error', (e) => {
      this.lastError = e.message;
    });
    new DataView(this.wakeBuf.buffer).setBigUint64(0, 1n, true);
  }

  /**
   * Opens (creating it if absent) and brings up the TAP device `opts.name`. Throws a TapError
   * that says what to do when /dev/net/tun is missing or permission is denied.
   */
  static open(opts: TapOptions): TapDevice {
    const name = opts.name;
    if (typeof name !== 'string' || name.length === 0 || name.length >= IFNAMSIZ || /[\s/:]/.test(name)) {
      throw new TapError(`'${String(name)}' is not a valid interface name (1 to 15 characters, no spaces, '/' or ':')`, 'EINVAL');
    }
    if (opts.mac && opts.mac.length !== 6) throw new TapError(`a MAC address has 6 bytes, got ${opts.mac.length}`, 'EINVAL');
    const libc = loadLibc();
    const existed = existsSync(`/sys/class/net/${name}`);
    let fd: number;
    try {
      fd = openSync('/dev/net/tun', fsc.O_RDWR | fsc.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new TapError(explainOpen(code, name), code);
    }
    let wakeFd = -1;
    try {
      const req = ifreq(name);
      new DataView(req.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
      if (libc.ioctl(fd, TUNSETIFF, req) < 0) {
        const code = errnoName(libc.errno());
        throw new TapError(explainOpen(code, name), code);
      }
      const info = TapDevice.configure(libc, name, opts.up ?? true);
      wakeFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
      if (wakeFd < 0) throw new TapError(`eventfd failed: ${errnoName(libc.errno())}`, errnoName(libc.errno()));
      const mac = opts.mac ? opts.mac.slice() : TapDevice.randomMac();
      return new TapDevice(libc, fd, wakeFd, {
        name,
        mac,
        mtu: info.mtu,
        kernelMac: info.kernelMac,
        created: !existed,
        maxBatches: opts.maxBatches ?? 64,
      });
    } catch (e) {
      if (wakeFd >= 0) libc.close(wakeFd);
      closeSync(fd);
      throw e;
    }
  }

  /** Brings the device up if asked, and reads its MTU and MAC through an ordinary socket. */
  private static configure(libc: Libc, name: string, up: boolean): { mtu: number; kernelMac: Uint8Array } {
    const s = libc.socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) throw new TapError(`socket() for interface ioctls failed: ${errnoName(libc.errno())}`, errnoName(libc.errno()));
    try {
      const fail = (what: string): never => {
        const code = errnoName(libc.errno());
        throw new TapError(`${what} on '${name}' failed: ${code}`, code);
      };
      if (up) {
        const req = ifreq(name);
        if (libc.ioctl(s, SIOCGIFFLAGS, req) < 0) fail('SIOCGIFFLAGS');
        const dv = new DataView(req.buffer);
        const flags = dv.getUint16(IFNAMSIZ, true);
        if ((flags & IFF_UP) === 0) {
          dv.setUint16(IFNAMSIZ, flags | IFF_UP, true);
          if (libc.ioctl(s, SIOCSIFFLAGS, req) < 0) {
            const code = errnoName(libc.errno());
            if (code === 'EPERM' || code === 'EACCES') {
              throw new TapError(`'${name}' is down and bringing it up needs CAP_NET_ADMIN (${code}): run 'sudo ip link set ${name} up' once, or open it with up: false`, code);
            }
            fail('bringing the device up (SIOCSIFFLAGS)');
          }
        }
      }
      const m = ifreq(name);
      if (libc.ioctl(s, SIOCGIFMTU, m) < 0) fail('SIOCGIFMTU');
      const mtu = new DataView(m.buffer).getInt32(IFNAMSIZ, true);
      const h = ifreq(name);
      if (libc.ioctl(s, SIOCGIFHWADDR, h) < 0) fail('SIOCGIFHWADDR');
      return { mtu, kernelMac: h.slice(IFNAMSIZ + 2, IFNAMSIZ + 8) };
    } finally {
      libc.close(s);
    }
  }

  private static randomMac(): Uint8Array {
    const mac = new Uint8Array(6);
    globalThis.crypto.getRandomValues(mac);
    mac[0] = (mac[0]! & 0xfc) | 0x02; // unicast, locally administered
    return mac;
  }

  transmit(frame: Uint8Array): void {
    if (this.closed) return;
    try {
      writeSync(this.fd, frame);
      this.counters.txFrames++;
      this.counters.txBytes += frame.length;
    } catch {
      // EIO while the device is down, EINVAL for a runt: the frame is lost, as on a wire.
      this.counters.txErrors++;
    }
  }

  setReceiver(receiver: (frame: Uint8Array) => void): void {
    this.receiver = receiver;
  }

  /** Why the reader stopped, when it stopped on an error (the device was deleted, say). */
  get error(): string | null {
    return this.lastError;
  }

  /** Lets the process exit while the device is open (the reader thread no longer holds it). */
  unref(): void {
    this.worker.unref();
  }

  ref(): void {
    this.worker.ref();
  }

  private onMessage(m: FrameBatch | { error: string }): void {
    if ('error' in m) {
      this.lastError = m.error;
      return;
    }
    const buf = m.buffer;
    const lens = m.lengths;
    let off = 0;
    try {
      for (let i = 0; i < lens.length; i++) {
        const len = lens[i]!;
        const frame = new Uint8Array(buf, off, len);
        off += (len + 7) & ~7;
        if (this.closed) break;
        this.counters.rxFrames++;
        this.counters.rxBytes += len;
        this.receiver?.(frame);
      }
    } finally {
      Atomics.sub(this.ctl, CTL_INFLIGHT, 1);
      Atomics.notify(this.ctl, CTL_INFLIGHT);
    }
  }

  /** Stops the reader thread and closes the descriptor (a device we created goes away). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, CTL_STOP, 1);
    Atomics.notify(this.ctl, CTL_INFLIGHT);
    writeSync(this.wakeFd, this.wakeBuf);
    await this.exited;
    this.libc.close(this.wakeFd);
    closeSync(this.fd);
  }
}
