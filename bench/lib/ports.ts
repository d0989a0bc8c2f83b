/** Ports for the bench's servers: any free one, or the next free one of a given range. */
import { type AddressInfo, createServer } from 'node:net';

/** Whether `port` can be listened on, on 127.0.0.1, right now; 0 asks for any free port. */
function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      // A TCP server's address is always an AddressInfo.
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Hands out ports that were free a moment ago on 127.0.0.1. With a range, it walks the range
 * from where it last stopped, so that a port just handed to a server that is still starting is
 * not handed out again.
 */
export function portPicker(range?: { from: number; to: number }): () => Promise<number> {
  let next = range?.from ?? 0;
  return async () => {
    if (!range) {
      const port = await tryListen(0);
      if (port === undefined) throw new Error('no free port on 127.0.0.1');
      return port;
    }
    const size = range.to - range.from + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = next;
      next = port >= range.to ? range.from : port + 1;
      if ((await tryListen(port)) !== undefined) return port;
    }
    throw new Error(`no free port in ${range.from}-${range.to} on 127.0.0.1`);
  };
}
