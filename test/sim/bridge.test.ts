import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from '../../src/sim/network.js';
import type { NetDevice } from '../../src/stack/device.js';
import { arpFrame, ip, isArp, OTHER_MAC } from '../stack/helpers.js';

/** An outside device (what a TAP looks like to the stack): records what it is asked to send. */
class FakeDevice implements NetDevice {
  readonly name = 'fake0';
  readonly mac = Uint8Array.of(0x02, 0, 0, 0, 0, 0x99);
  readonly mtu = 1500;
  readonly sent: Uint8Array[] = [];
  receiver: ((frame: Uint8Array) => void) | null = null;
  transmit(frame: Uint8Array): void {
    this.sent.push(frame.slice());
  }
  setReceiver(r: (frame: Uint8Array) => void): void {
    this.receiver = r;
  }
  /** A frame arriving from the outside world. */
  inject(frame: Uint8Array): void {
    this.receiver!(frame);
  }
}

const request = () => arpFrame({ senderMac: OTHER_MAC, senderIp: ip('10.0.0.9'), targetIp: ip('10.0.0.1') });

test('bridge: frames from the device reach hosts on the segment, and their replies leave through the device', async () => {
  const net = new Network({ seed: 3 });
  const pcap = net.capture(); // before the ports exist: they join the capture as they are made
  const dev = new FakeDevice();
  const port = net.bridge(dev, 'lan');
  const h = net.host('h', { interfaces: [{ segment: 'lan', address: '10.0.0.1/24' }] });
  await net.run(async () => {
    dev.inject(request());
    await net.sleep(1);
  });
  const replies = dev.sent.filter((f) => isArp(f) && f[21] === 2);
  assert.equal(replies.length, 1, 'the host answered the ARP request through the bridge');
  assert.deepEqual(replies[0]!.subarray(0, 6), OTHER_MAC, 'addressed to the asker');
  assert.deepEqual(replies[0]!.subarray(6, 12), h.ip.interfaces[0]!.device.mac);
  const announcements = dev.sent.filter((f) => isArp(f) && f[21] === 1 && f.subarray(28, 32).join() === f.subarray(38, 42).join());
  assert.equal(announcements.length, 1, "the host's gratuitous ARP (RFC 5227 announcement) also left through the device");
  assert.equal(dev.sent.length, 2);
  assert.equal(port.counters.txFrames, 1, 'one frame entered the segment from the device');
  assert.equal(port.counters.rxFrames, 2, 'two frames left the segment towards the device');
  // Capture: the bridge port and the host port each saw all three frames.
  assert.equal(pcap.packetCount, 6);
  assert.equal(pcap.interfaceCount, 2);
});

test('bridge: the segment impairments apply to the device traffic (loss 1 drops both ways)', async () => {
  const net = new Network({ seed: 4 });
  const dev = new FakeDevice();
  const seg = net.segment('lossy', { loss: 1 });
  const port = net.bridge(dev, seg);
  net.host('h', { interfaces: [{ segment: seg, address: '10.0.0.1/24' }] });
  await net.run(async () => {
    dev.inject(request());
    await net.sleep(1);
  });
  assert.equal(dev.sent.length, 0, 'neither the announcement nor a reply got out');
  assert.equal(seg.counters.dropLoss, 2, 'the request in, the announcement out');
  assert.equal(port.counters.txDropped, 1);
});

test('bridge: a port named after the device, with the MAC given, and a second bridge of the same device name is refused', () => {
  const net = new Network({ seed: 5 });
  const dev = new FakeDevice();
  const mac = Uint8Array.of(2, 1, 2, 3, 4, 5);
  const port = net.bridge(dev, 'lan', mac);
  assert.equal(port.name, 'bridge:fake0');
  assert.deepEqual(port.mac, mac);
  assert.throws(() => net.bridge(new FakeDevice(), 'lan'), /already has a port named 'bridge:fake0'/);
});

test('attach with an explicit MAC uses it instead of the seeded one', () => {
  const net = new Network({ seed: 6 });
  const h = net.host('h');
  const mac = Uint8Array.of(2, 9, 9, 9, 9, 9);
  net.attach(h, 'lan', '10.0.0.1/24', 'eth0', mac);
  assert.deepEqual(h.ip.interfaces[0]!.device.mac, mac);
});
