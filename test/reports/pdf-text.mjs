// Prints the text of each page of a PDF file as JSON ({"pages": ["…", …]}), read with
// pdfjs-dist (Mozilla's PDF reader). Run as its own Node process: pdfjs-dist is an ES module
// the test runner's CommonJS transform cannot load.
import { readFileSync } from 'node:fs';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const data = new Uint8Array(readFileSync(process.argv[2]));
const document = await getDocument({ data, verbosity: 0, disableFontFace: true }).promise;
const pages = [];
for (let number = 1; number <= document.numPages; number += 1) {
  const page = await document.getPage(number);
  const content = await page.getTextContent();
  pages.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' '));
}
process.stdout.write(JSON.stringify({ pages }));
