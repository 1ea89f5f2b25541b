// Test helpers of the statement files; not used by the service.

/** A strict RFC 4180 reader (the test's own, written from the RFC): records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let index = 0;
  while (index < text.length) {
    if (text[index] === '"') {
      index += 1;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote < 0) throw new Error('unterminated quoted field');
        field += text.slice(index, quote);
        index = quote + 1;
        if (text[index] === '"') {
          field += '"';
          index += 1;
        } else break;
      }
    } else {
      while (index < text.length && text[index] !== ',' && text[index] !== '\r') {
        if (text[index] === '"' || text[index] === '\n') throw new Error(`bare ${text[index]}`);
        field += text[index];
        index += 1;
      }
    }
    if (text[index] === ',') {
      record.push(field);
      field = '';
      index += 1;
    } else if (text.startsWith('\r\n', index)) {
      record.push(field);
      records.push(record);
      field = '';
      record = [];
      index += 2;
    } else {
      throw new Error(`unexpected ${JSON.stringify(text[index])} at ${index}`);
    }
  }
  if (field !== '' || record.length > 0) throw new Error('last record without CRLF');
  return records;
}
