// The Marquee JSON API (same origin). The session lives in an HttpOnly cookie the page cannot
// read; every request that changes something echoes the CSRF cookie in X-CSRF-Token. The user
// kept in localStorage is only a hint for drawing the header before /me answers.

export interface User { id: number; username: string; is_admin: boolean; disabled?: boolean; created_at?: number; must_change_password?: boolean }
export interface LoginResponse { csrf_token?: string; user: User; expires_at: number | string }
export interface SessionView {
  id: number; device?: string | null; kind: string; address?: string | null;
  created_at: number; last_seen: number; expires_at: number; current: boolean;
}
export interface Page<T> { items: T[]; total: number }
export interface Profile { id: number; name: string; kids: boolean; max_rating?: string | null; allow_unrated: boolean; has_pin: boolean }
/** One hit of GET /api/v1/search. */
export interface SearchHit {
  kind: "series" | "movie" | "episode" | "person" | "review"; id: number; title: string; subtitle?: string | null;
  year?: number | null; image?: string | null; series_id?: number | null; item_id?: number | null;
  item_kind?: string | null; excerpt?: string | null; score: number;
}
export interface SearchResults { series: SearchHit[]; movies: SearchHit[]; episodes: SearchHit[]; people: SearchHit[]; reviews: SearchHit[] }
/** Set when this viewer's plan does not let them play a title: why, and the plans that do. */
export interface Locked { reason: string; plans: { id: number; name: string }[]; free_preview?: boolean }
export interface TitleSummary {
  locked?: Locked | null;
  id: number; kind: string; title: string; year?: number | null; synopsis?: string | null;
  content_rating?: string | null; runtime_minutes?: number | null; genres: string[];
  poster?: string | null; backdrop?: string | null; episode_count?: number | null; added_at: number;
}
export interface Credit { person_id: number; name: string; role: string; character?: string | null; photo?: string | null }
export interface Review {
  id?: number; author: string; publication?: string | null; date?: string | null; score?: number | null;
  score_text?: string | null; body_markdown: string; url?: string | null;
}
export interface Episode {
  locked?: Locked | null;
  id: number; number: number; number_end?: number | null; title: string; synopsis?: string | null;
  air_date?: string | null; runtime_minutes?: number | null; duration_ms?: number | null; still?: string | null; available: boolean;
}
export interface Season { id: number; number: number; title: string; synopsis?: string | null; poster?: string | null; episodes: Episode[] }
export interface ItemDetail {
  locked?: Locked | null;
  id: number; kind: string; title: string; original_title?: string | null; synopsis?: string | null; tagline?: string | null;
  year?: number | null; air_date?: string | null; runtime_minutes?: number | null; content_rating?: string | null;
  parent_id?: number | null; series_id?: number | null; season_number?: number | null; episode_number?: number | null;
  genres: string[]; tags: string[]; studios: string[]; credits: Credit[]; reviews: Review[];
  artwork: { kind: string; url: string; blurhash?: string | null; width?: number | null; height?: number | null }[];
  file?: { duration_ms?: number | null; status?: string; probe?: Probe | null } | null;
  seasons: Season[]; extras: { id: number; kind: string; title: string }[];
}
export interface Probe { container?: string; tracks?: { kind?: string; codec?: string; language?: string; width?: number; height?: number; channels?: number }[]; [k: string]: unknown }
export interface PersonSummary { id: number; name: string; photo?: string | null; credit_count: number }
export interface PersonCredit {
  item_id: number; kind: string; title: string; year?: number | null; air_date?: string | null; role?: string;
  character?: string | null; series_id?: number | null; series_title?: string | null;
}
export interface PersonDetail { id: number; name: string; photo?: string | null; biography?: string | null; birth_date?: string | null; roles: { role: string; credits: PersonCredit[] }[] }
export interface Genre { name: string; count: number }
export interface Library { id: number; name: string; root: string; files: number; failed: number; missing: number }
export interface ScanProgress { running: boolean; phase: string; found: number; to_process: number; processed: number; failed: number; current: string }
export interface ScanSummary { added: number; updated: number; moved: number; removed: number; unchanged: number; failed: { path: string; reason: string }[]; elapsed_ms?: number }
export interface ScanStatus { progress: ScanProgress; recent: { started_at: number; finished_at?: number | null; summary?: ScanSummary | null }[] }
export interface Failure { id?: number; path: string; error: string; updated_at?: number }
export interface NextEpisode {
  id: number; title: string; series_id: number; series_title: string; season_number: number; episode_number: number;
  duration_ms?: number | null; still?: string | null;
}
export interface Playback {
  hls?: string | null; dash?: string | null; direct?: string | null; duration_ms?: number | null;
  tracks?: { id: number | string; kind: string; codec?: string; language?: string | null; name?: string | null; browser_playable?: boolean; delivery?: "direct" | "remux" | "transcode" | "unavailable"; rendition?: string; reason?: string }[];
  subtitles?: {
    language?: string | null; label?: string | null; url?: string | null; note?: string | null;
    /** Picture subtitles (PGS, VobSub): the video with them drawn in, transcoded on demand. */
    burn_in?: { hls?: string | null; dash?: string | null } | null;
  }[];
  /** The playback session these links belong to (concurrent stream limits). */
  stream_id?: number; heartbeat_secs?: number;
  /** Where this profile left off (servers with viewing history). */
  resume_ms?: number;
  /** The episode to offer at the end; null after the last one; absent on servers without it. */
  next?: NextEpisode | null;
  chapters?: { start_ms: number; end_ms?: number | null; title?: string | null }[];
  /** "Skip intro" from start_ms, seeking to end_ms. */
  intro?: { start_ms: number; end_ms: number } | null;
  /** Where the end credits start: time to offer the next episode. */
  credits?: { start_ms: number } | null;
  /** A WebVTT track of scrub thumbnails (cues name sprite regions, relative to the track). */
  thumbnails?: string | null;
}
export interface ProgressState {
  item_id: number; position_ms: number; duration_ms?: number | null; resume_ms: number; completed: boolean; watched: boolean; play_count: number; played_at?: number | null;
}
export interface ContinueItem {
  item_id: number; kind: string; title: string; reason: string; resume_ms: number; duration_ms?: number | null; last_played_at: number;
  series_id?: number | null; series_title?: string | null; season_number?: number | null; episode_number?: number | null;
  image?: string | null; poster?: string | null;
}
export interface SavedTitle { id: number; kind: string; title: string; year?: number | null; poster?: string | null; thumb?: number; at: number }
export interface ViewerItemState { item_id: number; in_my_list: boolean; thumb?: number | null; progress: ProgressState[] }
export interface PlanInfo { id: number; name: string; description?: string | null; all_titles: boolean; max_height?: number | null; max_streams?: number | null; downloads: boolean }
export interface Entitlement {
  standing: "admin" | "open" | "active" | "trialing" | "grace" | "free_only" | string;
  lapse?: string | null;
  plan?: PlanInfo | null;
  subscription?: { plan: { id: number; name: string }; source: string; status: string; started_at: number; expires_at?: number | null; grace_until?: number | null; cancel_at_period_end: boolean } | null;
  max_streams?: number | null; max_height?: number | null; downloads: boolean;
}
/** A plan as administrators edit it (GET/POST/PUT /api/v1/admin/plans). */
export interface AdminPlan {
  id: number; name: string; description?: string | null; all_titles: boolean; libraries: number[]; collections: string[];
  items: number[]; max_height?: number | null; max_streams?: number | null; downloads: boolean;
}
export type PlanFields = Omit<AdminPlan, "id">;
export interface ActiveStream { id: number; item_id: number; title: string; device?: string | null; profile_id?: number | null; started_at: number; last_seen: number }
export interface ListParams { q?: string; genre?: string; year?: number; sort?: "title" | "year" | "added"; order?: "asc" | "desc"; offset?: number; limit?: number }

const USER_KEY = "marquee.user";
/** Fired on `window` when the signed-in user's details change (the header follows them). */
export const USER_CHANGED = "marquee-user";

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

export const session = {
  /** Whether this browser signed in (the cookie itself is HttpOnly; a 401 clears this). */
  get signedIn(): boolean { return this.user !== null; },
  get user(): User | null {
    try { return JSON.parse(localStorage.getItem(USER_KEY) ?? "null") as User | null; } catch { return null; }
  },
  setUser(user: User) {
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    window.dispatchEvent(new Event(USER_CHANGED));
  },
  clear() { localStorage.removeItem(USER_KEY); localStorage.removeItem("marquee.token"); },
};

function csrfToken(): string | null {
  const m = document.cookie.match(/(?:^|;\s*)marquee_csrf=([^;]*)/);
  return m && m[1] ? decodeURIComponent(m[1]) : null;
}

/** Called on any 401: the app sends the user to the sign-in page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(fn: () => void) { onUnauthorized = fn; }

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const csrf = csrfToken();
  if (method !== "GET" && method !== "HEAD" && csrf) headers["x-csrf-token"] = csrf;
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, credentials: "same-origin",
  });
  if (res.status === 401 && !path.endsWith("/auth/login")) {
    session.clear();
    onUnauthorized();
    throw new ApiError(401, "Your session has ended. Please sign in again.");
  }
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try { const j = await res.json(); if (j && typeof j.error === "string") msg = j.error; } catch { /* not JSON */ }
    throw new ApiError(res.status, msg);
  }
  if (res.status === 204 || res.status === 202) {
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return (await res.json()) as T;
}

/** A short name for this browser, shown in the list of devices. */
function browserName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

const get = <T>(path: string, signal?: AbortSignal) => request<T>("GET", path, undefined, signal);

/** Codec strings to try: one per family the server can stream or transcode to. */
const CODEC_CANDIDATES: [string, string][] = [
  ["video/mp4", "avc1.640028"], ["video/mp4", "hvc1.1.6.L93.B0"], ["video/mp4", "vp09.00.10.08"],
  ["video/mp4", "av01.0.04M.08"], ["audio/mp4", "mp4a.40.2"], ["audio/mp4", "mp4a.6B"], ["audio/mp4", "ac-3"],
  ["audio/mp4", "ec-3"], ["audio/mp4", "opus"], ["audio/mp4", "flac"],
];

/** What this browser decodes (MediaSource, else the <video> element): the server transcodes the rest. */
function decodableCodecs(): string {
  const probe = document.createElement("video");
  const ok = ([mime, codec]: [string, string]) => {
    const type = `${mime}; codecs="${codec}"`;
    return typeof MediaSource !== "undefined" ? MediaSource.isTypeSupported(type) : probe.canPlayType(type) === "probably";
  };
  return CODEC_CANDIDATES.filter(ok).map(([, codec]) => codec).join(",");
}

function qs(p: Record<string, unknown>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

/**
 * Where the player is. `keepalive` lets the report outlive the page (reload, tab closed); such a
 * request cannot be awaited for its answer, so it resolves with nothing.
 */
export async function reportProgress(item_id: number, position_ms: number, duration_ms: number | null, keepalive = false): Promise<ProgressState | null> {
  const body = JSON.stringify({ item_id, position_ms: Math.max(0, Math.round(position_ms)), duration_ms: duration_ms && duration_ms > 0 ? Math.round(duration_ms) : undefined });
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  const csrf = csrfToken();
  if (csrf) headers["x-csrf-token"] = csrf;
  const res = await fetch("/api/v1/me/progress", { method: "POST", headers, body, keepalive, credentials: "same-origin" });
  if (!res.ok) throw new ApiError(res.status, `progress report answered ${res.status}`);
  return keepalive ? null : ((await res.json()) as ProgressState);
}

export const api = {
  login: (username: string, password: string) =>
    request<LoginResponse>("POST", "/api/v1/auth/login", { username, password, cookie: true, device: browserName() }),
  sessions: (s?: AbortSignal) => get<SessionView[]>("/api/v1/me/sessions", s),
  profiles: (s?: AbortSignal) => get<{ profiles: Profile[]; current?: number | null }>("/api/v1/me/profiles", s),
  chooseProfile: (profile_id: number, pin?: string) => request<Profile>("POST", "/api/v1/me/profile", { profile_id, pin }),
  revokeSession: (id: number) => request<void>("DELETE", `/api/v1/me/sessions/${id}`),
  signOutEverywhere: () => request<{ revoked: number }>("DELETE", "/api/v1/me/sessions"),
  logout: () => request<void>("POST", "/api/v1/auth/logout", {}),
  /** Whether "Sign in with …" (an OpenID Connect provider) is offered. */
  oidc: (s?: AbortSignal) => get<{ enabled: boolean; name?: string; start_url?: string }>("/api/v1/auth/oidc", s),
  /** GET /me answers {"user", "session"}; a bare user is accepted too. */
  me: async (s?: AbortSignal): Promise<User> => {
    const r = await get<User | { user: User }>("/api/v1/me", s);
    return "user" in r ? r.user : r;
  },
  changePassword: (current_password: string, new_password: string) =>
    request<void>("POST", "/api/v1/auth/password", { current_password, new_password }),
  list: (kind: "series" | "movies", p: ListParams, s?: AbortSignal) => get<Page<TitleSummary>>(`/api/v1/${kind}${qs({ ...p })}`, s),
  series: (id: number, s?: AbortSignal) => get<ItemDetail>(`/api/v1/series/${id}`, s),
  movie: (id: number, s?: AbortSignal) => get<ItemDetail>(`/api/v1/movies/${id}`, s),
  item: (id: number, s?: AbortSignal) => get<ItemDetail>(`/api/v1/items/${id}`, s),
  people: (q: string, limit: number, s?: AbortSignal) => get<Page<PersonSummary>>(`/api/v1/people${qs({ q, limit })}`, s),
  person: (id: number, s?: AbortSignal) => get<PersonDetail>(`/api/v1/people/${id}`, s),
  search: (q: string, limit: number, s?: AbortSignal) => get<SearchResults>(`/api/v1/search${qs({ q, limit })}`, s),
  genres: (s?: AbortSignal) => get<Genre[]>("/api/v1/genres", s),
  playback: (id: number, s?: AbortSignal) => get<Playback>(`/api/v1/items/${id}/playback${qs({ caps: decodableCodecs() })}`, s),
  streams: (s?: AbortSignal) => get<ActiveStream[]>("/api/v1/me/streams", s),
  streamHeartbeat: (id: number) => request<ActiveStream>("POST", `/api/v1/me/streams/${id}/heartbeat`, {}),
  stopStream: (id: number) => request<void>("DELETE", `/api/v1/me/streams/${id}`),
  subscription: (s?: AbortSignal) => get<Entitlement>("/api/v1/me/subscription", s),
  viewer: {
    continueWatching: (limit: number, s?: AbortSignal) => get<ContinueItem[]>(`/api/v1/me/continue-watching${qs({ limit })}`, s),
    list: (s?: AbortSignal) => get<SavedTitle[]>("/api/v1/me/list", s),
    addToList: (id: number) => request<unknown>("PUT", `/api/v1/me/list/${id}`),
    removeFromList: (id: number) => request<unknown>("DELETE", `/api/v1/me/list/${id}`),
    item: (id: number, s?: AbortSignal) => get<ViewerItemState>(`/api/v1/me/items/${id}`, s),
    rate: (id: number, thumb: "up" | "down") => request<unknown>("PUT", `/api/v1/me/ratings/${id}`, { thumb }),
    unrate: (id: number) => request<unknown>("DELETE", `/api/v1/me/ratings/${id}`),
    similar: (id: number, limit: number, s?: AbortSignal) => get<SavedTitle[]>(`/api/v1/items/${id}/similar${qs({ limit })}`, s),
  },
  health: (s?: AbortSignal) => get<{ status: string; version: string }>("/healthz", s),
  admin: {
    libraries: (s?: AbortSignal) => get<Library[]>("/api/v1/admin/libraries", s),
    scan: (s?: AbortSignal) => get<ScanStatus>("/api/v1/admin/scan", s),
    startScan: () => request<void>("POST", "/api/v1/admin/scan"),
    failures: (s?: AbortSignal) => get<Failure[]>("/api/v1/admin/failures", s),
    users: (s?: AbortSignal) => get<User[]>("/api/v1/admin/users", s),
    createUser: (username: string, password: string, is_admin: boolean) =>
      request<User>("POST", "/api/v1/admin/users", { username, password, is_admin }),
    changeUser: (id: number, change: { disabled?: boolean; is_admin?: boolean }) =>
      request<User>("PATCH", `/api/v1/admin/users/${id}`, change),
    resetPassword: (id: number) => request<{ password: string }>("POST", `/api/v1/admin/users/${id}/password`),
    plans: (s?: AbortSignal) => get<AdminPlan[]>("/api/v1/admin/plans", s),
    createPlan: (p: PlanFields) => request<AdminPlan>("POST", "/api/v1/admin/plans", p),
    updatePlan: (id: number, p: PlanFields) => request<AdminPlan>("PUT", `/api/v1/admin/plans/${id}`, p),
    deletePlan: (id: number) => request<void>("DELETE", `/api/v1/admin/plans/${id}`),
    subscription: (user: number, s?: AbortSignal) => get<Entitlement>(`/api/v1/admin/users/${user}/subscription`, s),
    grant: (user: number, plan_id: number, expires_at?: number) =>
      request<Entitlement>("PUT", `/api/v1/admin/users/${user}/subscription`, { plan_id, expires_at }),
    revoke: (user: number) => request<unknown>("DELETE", `/api/v1/admin/users/${user}/subscription`),
  },
};
