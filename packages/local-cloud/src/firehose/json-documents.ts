/**
 * The JSON documents of one Firehose record. Format conversion reads a record holding several documents one after
 * another, with or without whitespace between them (`{"a":1}{"a":2}` or one document a line), and AWS documents
 * an array of documents as invalid input: a top-level array is one document here too, and fails as "not an
 * object" later.
 */

/**
 * Splits text into its top-level JSON values, in order, without parsing them: an object or array runs to its
 * matching bracket (brackets inside strings do not count); any other value runs to the next whitespace or
 * bracket. Unbalanced text is returned as it is, as the last document, for the parser to reject by name.
 */
export function jsonDocumentsOf(text: string): string[] {
  const documents: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) break;
    const start = i;
    const first = text[i];
    if (first === '{' || first === '[') {
      i = endOfContainer(text, i);
    } else if (first === '"') {
      i = endOfString(text, i);
    } else {
      while (i < text.length && !isSpace(text.charCodeAt(i)) && text[i] !== '{' && text[i] !== '[') i++;
    }
    documents.push(text.slice(start, i));
  }
  return documents;
}

/** The index after the bracket that closes the one at `start`, or the end of the text when none does. */
function endOfContainer(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return text.length;
}

/** The index after the quote that closes the string opened at `start` (escapes skipped), or the end. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return text.length;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}
