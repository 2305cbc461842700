// Renders what `oamc plan` draws in a real browser: Debian's Chromium, driven
// by playwright-core, with the real Mermaid (npm) for a Mermaid diagram.
//   node render.mjs mermaid DIAGRAM.mmd OUT.png [DIAGRAM.mmd OUT.png …]
//   node render.mjs svg PICTURE.svg OUT.png [… --colour #rrggbb …]
// Prints a JSON array, one object per input, in order: `error` (Mermaid's parse or render error, or a page
// error; null when none), `texts` (the text of every <text>/label element of
// the drawn SVG, in order), `width`/`height` of the drawing, and `pixels`:
// how many pixels of the PNG are not white, and how many match each colour
// of `--colour #rrggbb` (repeatable). The PNG is read back in the same page.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [kind, ...rest] = process.argv.slice(2);
const colours = [];
const files = [];
for (let i = 0; i < rest.length; i += 2) {
  if (rest[i] === "--colour") colours.push(rest[i + 1]);
  else files.push([rest[i], rest[i + 1]]);
}
const here = dirname(fileURLToPath(import.meta.url));

// The probe's flags: no network beyond the page, a fresh profile.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
// One page for every input, Mermaid loaded into it once (parsing its 3 MB
// once, not once per diagram); each input starts from an empty #out.
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
let pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
await page.setContent("<!doctype html><html><body style='margin:0;background:#fff'><div id='out'></div></body></html>");
if (kind === "mermaid") {
  await page.addScriptTag({ path: join(here, "node_modules/mermaid/dist/mermaid.min.js") });
  await page.evaluate(() => mermaid.initialize({ startOnLoad: false, securityLevel: "strict" }));
}
const results = [];
for (const [n, [input, output]] of files.entries()) {
  results.push(await draw(readFileSync(input, "utf8"), output, n));
}
await browser.close();
console.log(JSON.stringify(results));

async function draw(source, output, n) {
const result = { error: null, texts: [], width: 0, height: 0, pixels: {} };
pageErrors = [];
try {
  await page.evaluate(() => { document.getElementById("out").innerHTML = ""; });
  if (kind === "mermaid") {
    const drawn = await page.evaluate(async ({ text, id }) => {
      try {
        await mermaid.parse(text);
        const { svg } = await mermaid.render(id, text);
        document.getElementById("out").innerHTML = svg;
        return { error: null };
      } catch (e) {
        return { error: String(e && e.message ? e.message : e) };
      }
    }, { text: source, id: `diagram${n}` });
    result.error = drawn.error;
  } else if (kind === "svg") {
    // As an <img>, the way a Markdown page or a dashboard shows it: no
    // script, no external resource.
    const ok = await page.evaluate(async (text) => {
      const img = new Image();
      img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(text)));
      document.getElementById("out").appendChild(img);
      try {
        await img.decode();
        return true;
      } catch (e) {
        return false;
      }
    }, source);
    if (!ok) result.error = "the browser could not decode the SVG";
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, "image/svg+xml");
      const err = doc.querySelector("parsererror");
      return { error: err ? err.textContent : null, texts: [...doc.querySelectorAll("text")].map((t) => t.textContent) };
    }, source);
    if (parsed.error) result.error = parsed.error;
    result.texts = parsed.texts;
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
  if (pageErrors.length) result.error = (result.error ? result.error + "; " : "") + pageErrors.join("; ");
  const target = kind === "mermaid" ? "#out svg" : "#out img";
  const element = await page.$(target);
  if (!element) {
    result.error = result.error ?? `nothing drawn (${target})`;
  } else {
    if (kind === "mermaid") {
      result.texts = await page.evaluate(() =>
        [...document.querySelectorAll("#out svg text, #out svg .nodeLabel, #out svg span")].map((t) => t.textContent),
      );
    }
    const box = await element.boundingBox();
    result.width = Math.round(box.width);
    result.height = Math.round(box.height);
    const png = await element.screenshot({ path: output });
    // Read the PNG back: decode it in the page and count pixels.
    result.pixels = await page.evaluate(
      async ({ data, colours }) => {
        const img = new Image();
        img.src = "data:image/png;base64," + data;
        await img.decode();
        const canvas = document.createElement("canvas");
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0);
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const wanted = colours.map((c) => [c, parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]);
        const counts = { nonWhite: 0 };
        for (const [c] of wanted) counts[c] = 0;
        for (let i = 0; i < px.length; i += 4) {
          const [r, g, b] = [px[i], px[i + 1], px[i + 2]];
          if (r < 250 || g < 250 || b < 250) counts.nonWhite++;
          for (const [c, wr, wg, wb] of wanted) {
            if (Math.abs(r - wr) <= 8 && Math.abs(g - wg) <= 8 && Math.abs(b - wb) <= 8) counts[c]++;
          }
        }
        return counts;
      },
      { data: png.toString("base64"), colours },
    );
  }
} catch (e) {
  result.error = String(e);
}
return result;
}
