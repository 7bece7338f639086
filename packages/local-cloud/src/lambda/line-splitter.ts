/** Splits written text into lines for `onLine` (a partial line waits for its end, or `flush`). */
export function lineSplitter(onLine: (line: string) => void): { write(text: string): void; flush(): void } {
  let pending = '';
  return {
    write(text) {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        onLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    flush() {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}
