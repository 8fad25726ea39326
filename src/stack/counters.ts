/**
 * Per-protocol counters in the spirit of `netstat -s` / `nstat` (MIB-II, RFC 1213 and
 * RFC 4293 names where one exists). Plain objects of numbers: cheap to bump, easy to print.
 */
export function newCounters() {
  return {
    link: { inFrames: 0, inTruncated: 0, inNotForUs: 0, inUnknownEthertype: 0, outFrames: 0 },
    arp: {
      inRequests: 0, inReplies: 0, inErrors: 0, inGratuitous: 0, inConflicts: 0, outRequests: 0, outReplies: 0,
      resolveFailures: 0, queueDrops: 0, rateLimited: 0, tableOverflows: 0,
    },
    ip: {
      inReceives: 0, inHdrErrors: 0, inCsumErrors: 0, inAddrErrors: 0, inTruncatedPkts: 0,
      inUnknownProtos: 0, inDiscards: 0, inDelivers: 0, forwDatagrams: 0, outRequests: 0,
      outNoRoutes: 0, outDiscards: 0, reasmReqds: 0, reasmOKs: 0, reasmFails: 0, reasmTimeout: 0,
      reasmOverlaps: 0, fragOKs: 0, fragFails: 0, fragCreates: 0, inTtlExceeded: 0,
      // Path MTU cache (RFC 1191; Linux keeps no MIB for it): learnt or renewed, reports ignored, aged out.
      pmtuUpdates: 0, pmtuIgnored: 0, pmtuExpired: 0,
    },
    icmp: {
      inMsgs: 0, inErrors: 0, inCsumErrors: 0, inEchos: 0, inEchoReps: 0, inDestUnreachs: 0,
      inTimeExcds: 0, inParmProbs: 0, outMsgs: 0, outEchos: 0, outEchoReps: 0, outDestUnreachs: 0,
      outTimeExcds: 0, outParmProbs: 0, outRateLimited: 0,
    },
    udp: {
      inDatagrams: 0, noPorts: 0, inErrors: 0, inCsumErrors: 0, rcvbufErrors: 0, outDatagrams: 0,
      sndbufErrors: 0,
    },
    raw: { inDelivers: 0, rcvbufErrors: 0, outPackets: 0 },
    // RFC 4022 names (Tcp*), then Linux's TcpExt* (printed as TcpExt... by netstat.ts).
    tcp: {
      activeOpens: 0, passiveOpens: 0, attemptFails: 0, estabResets: 0, currEstab: 0, inSegs: 0,
      outSegs: 0, retransSegs: 0, inErrs: 0, outRsts: 0, inCsumErrors: 0,
      extListenOverflows: 0, extListenDrops: 0, extTCPChallengeACK: 0, extTCPSYNChallenge: 0,
      extTCPTimeouts: 0, extTCPSynRetrans: 0, extTCPOFOQueue: 0, extTCPOFODrop: 0, extTCPAbortOnData: 0,
      extTCPAbortOnClose: 0, extTCPAbortOnTimeout: 0, extTCPAbortOnLinger: 0, extTCPFastRetrans: 0,
      extDelayedACKs: 0, extTW: 0, extEmbryonicRsts: 0, extOutOfWindowIcmps: 0, extTCPWinProbe: 0,
      extTCPKeepAlive: 0, extTCPZeroWindowDrop: 0, extTCPRcvQDrop: 0,
      // SACK (RFC 2018/2883/6675) and loss detection, Linux's names.
      extTCPSackRecovery: 0, extTCPSACKReneging: 0, extTCPSACKDiscard: 0, extTCPDSACKRecv: 0,
      extTCPDSACKOldSent: 0, extTCPDSACKOfoSent: 0, extTCPSackFailures: 0, extTCPLossProbes: 0,
      extTCPLossProbeRecovery: 0, extTCPSpuriousRTOs: 0, extTCPLossUndo: 0, extTCPDSACKUndo: 0,
      // Buffer auto-tuning refused growth for the host's config.memLimit (Linux TCPMemoryPressures).
      extTCPMemoryPressures: 0,
      // Path MTU probing (RFC 4821): probes acknowledged and lost, Linux's names.
      extTCPMTUPSuccess: 0, extTCPMTUPFail: 0,
    },
  };
}

export type Counters = ReturnType<typeof newCounters>;
