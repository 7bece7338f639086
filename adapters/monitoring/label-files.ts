/**
 * Which label files a reader needs for a window. A label is written after it becomes known, and it becomes known
 * after the event it labels, so a file (or S3 object) last modified before a window's start holds no label whose
 * label_time, or event time, is in the window, unless the writer's clock ran ahead of the store's by more than the
 * slack. The scheduled monitoring job, `streamfeatures monitor` and `streamfeatures retrain` share this rule.
 */

/**
 * A label file last modified this long before the window starts is not read (the writer's clock may run ahead of
 * S3's, or of the file system's, by up to this much).
 */
export const LABEL_CLOCK_SLACK_MS = 15 * 60_000;

/**
 * The time from which label files are read for a window starting at `windowFromMs`; undefined (read every file)
 * when the window has no start.
 */
export function labelFilesModifiedSince(windowFromMs: number | undefined): number | undefined {
  return windowFromMs === undefined ? undefined : windowFromMs - LABEL_CLOCK_SLACK_MS;
}

/**
 * The label reader's options for a window starting at `windowFromMs`: every file with `allLabels`, or when the
 * window has no start.
 */
export function labelFilesFor(
  windowFromMs: number | undefined,
  allLabels = false,
): { readonly modifiedSinceMs?: number } {
  const modifiedSinceMs = allLabels ? undefined : labelFilesModifiedSince(windowFromMs);
  return modifiedSinceMs === undefined ? {} : { modifiedSinceMs };
}
