import * as net from "node:net";

/** Counts the TCP (and so TLS) connections the process opens while `run` runs. */
export async function connectionsDuring<T>(
  run: () => Promise<T>,
): Promise<{ value: T; connections: number }> {
  const connect = net.Socket.prototype.connect;
  let connections = 0;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    connections++;
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  try {
    return { value: await run(), connections };
  } finally {
    net.Socket.prototype.connect = connect;
  }
}
