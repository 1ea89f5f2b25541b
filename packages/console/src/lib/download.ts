/**
 * Downloads a file the API serves behind the key: fetched with the Authorization header (a
 * link cannot carry it), then saved from a blob URL under the server's file name.
 */
export function fileNameFrom(disposition: string | null, fallback: string): string {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  const name = match ? decodeURIComponent(match[1]) : fallback;
  return /^[\w.-]+$/.test(name) ? name : fallback;
}

export async function downloadWithKey(
  key: string,
  url: string,
  fallbackName: string,
): Promise<string> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) {
    let message = `The export answered ${response.status}`;
    try {
      const body = (await response.json()) as { message?: string };
      if (body.message) message = body.message;
    } catch {
      // not JSON: the status says it
    }
    throw new Error(message);
  }
  const blob = await response.blob();
  const name = fileNameFrom(response.headers.get('content-disposition'), fallbackName);
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
