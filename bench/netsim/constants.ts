/** Thresholds shared by the cell runner and the table. */

/** A cell whose sender retransmitted more than this many times the frames the path dropped (+20) is marked ‡. */
export const EXCESS_RETRANS = 3;
/** A cell at or above this share of min(SO_SNDBUF, SO_RCVBUF) / RTT, with buffers below the maxima, is marked †. */
export const BUFFER_LIMITED = 0.8;
