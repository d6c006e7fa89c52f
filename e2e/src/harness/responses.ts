/** A response read through the gateway, its body as text. */
export interface ReadResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/**
 * A reader that keeps every body it reads in `bodies`, so that a canary scan
 * can look at everything the gateway answered.
 */
export function responseRecorder(bodies: string[]): (response: Response) => Promise<ReadResponse> {
  return async (response) => {
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, headers: response.headers, text };
  };
}
