/** The answer of an endpoint that redirects. */
export interface Redirected {
  status: number;
  location: string | null;
}

/** An error answer: `code` is stable (better-auth's error codes), `message` is for people. */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface AuthClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3000`. */
  baseURL: string;
  /** Defaults to `/api/auth`. */
  basePath?: string;
  fetch?: typeof fetch;
  /** Extra headers for every request (e.g. `origin` outside a browser). */
  headers?: Record<string, string>;
}

type Query = Record<string, string | undefined>;

/** How the client's methods reach the server: requests, and their answers read. */
function transport(options: AuthClientOptions) {
  const base = options.baseURL.replace(/\/+$/, "") + (options.basePath ?? "/api/auth");
  const send = options.fetch ?? fetch;
  async function request(method: "GET" | "POST", path: string, body?: unknown, query?: Query): Promise<Response> {
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined) headers["content-type"] = "application/json";
    return send(url, {
      method,
      headers,
      credentials: "include",
      redirect: "manual",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  async function json<T>(response: Response): Promise<T> {
    const text = await response.text();
    const data: unknown = text === "" ? null : JSON.parse(text);
    if (!response.ok) {
      const error = (data ?? {}) as { code?: string; message?: string };
      throw new AuthError(response.status, error.code, error.message ?? response.statusText);
    }
    return data as T;
  }
  function redirected(response: Response): Redirected {
    return { status: response.status, location: response.headers.get("location") };
  }
  return { request, json, redirected };
}
