import net from 'node:net';

/** Sends raw bytes to `url`'s host and port and resolves with the whole answer (for malformed request lines). */
export async function rawRequest(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.write(text);
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
  await new Promise((resolve) => socket.once('close', resolve));
  return answer;
}
