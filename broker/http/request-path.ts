/** The path of an origin-form request target (`/x?y` → `/x`); undefined for any other (`*`, an absolute URL) or none. */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}
