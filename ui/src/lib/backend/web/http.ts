// The web app's REST calls: same-origin fetches that carry the session cookie (the page
// never sees its token) and, on anything that may change state, the CSRF token the server
// handed out at sign-in. Failures become the seam's typed errors.
import type { ApiError, ErrorCode } from "../../generated/protocol";
import type { BackendError, ErrorKind } from "../types";

/** What the UI branches on, from the server's error code (and the status for old servers). */
function kindOf(code: ErrorCode | undefined, status: number): ErrorKind {
  switch (code) {
    case "unauthorized":
      return "signed_out";
    case "invalid_input":
      return "invalid_input";
    case "conflict":
    case "precondition_failed":
      return "conflict";
    case "rate_limited":
      return "rate_limited";
    case "not_found":
      return "not_found";
    default:
      return status === 401 ? "signed_out" : "server";
  }
}

export class Http {
  /** Sent in X-Herald-CSRF on every POST, PUT and DELETE once signed in. */
  csrf: string | undefined;

  async get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["x-herald-csrf"] = this.csrf;
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw { kind: "offline", message: "cannot reach the server" } satisfies BackendError;
    }
    if (response.status === 204) return undefined as T;
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }
}

async function errorOf(response: Response): Promise<BackendError> {
  let body: ApiError | undefined;
  try {
    body = (await response.json()) as ApiError;
  } catch {
    body = undefined;
  }
  const error: BackendError = {
    kind: kindOf(body?.error.code, response.status),
    message: body?.error.message ?? `the server answered ${response.status}`,
  };
  if (body?.error.fields?.length) error.fields = body.error.fields;
  return error;
}
