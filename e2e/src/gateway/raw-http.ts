import net from 'node:net';

/**
 * Sends raw bytes to `url`'s host and port and resolves with the whole answer
 * (for malformed request lines): what arrived before the gateway closed the
 * connection, or before `timeoutMs`.
 */
export async function rawRequest(url: string, text: string, timeoutMs = 5_000): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => socket.destroy());
  socket.write(text);
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  await new Promise((resolve) => socket.once('close', resolve));
  clearTimeout(timer);
  return answer;
}
