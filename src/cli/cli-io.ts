/** The standard streams a command uses, so tests can run a command in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM by main; long-running commands stop cleanly when it fires. */
  signal: AbortSignal;
}
