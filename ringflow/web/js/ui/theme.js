// Light and dark themes: the page follows the system unless the user picked one with the
// editor's theme switch; the choice is saved in localStorage and put on <html data-theme> before
// anything is drawn (boot.js and list.js apply it first). Colours themselves are css/tokens.css.

export const THEME_KEY = "ringflow.theme";
const CHOICES = ["system", "light", "dark"];
const LABEL = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };
const ICON = { system: "◐", light: "☀", dark: "☾" };

/** The saved choice ("system" when none, or when storage is unavailable). */
export function savedTheme(storage = globalThis.localStorage) {
  try {
    const v = storage && storage.getItem(THEME_KEY);
    return CHOICES.includes(v) ? v : "system";
  } catch (err) {
    console.warn("theme: storage unavailable, following the system", err);
    return "system";
  }
}

/** Put a choice on the page: "system" removes the override. */
export function applyTheme(choice, doc = document) {
  if (choice === "light" || choice === "dark") doc.documentElement.dataset.theme = choice;
  else delete doc.documentElement.dataset.theme;
}

/** A button cycling system -> light -> dark, saving the choice. */
export function wireThemeSwitch(button, storage = globalThis.localStorage) {
  let choice = savedTheme(storage);
  const paint = () => {
    button.textContent = ICON[choice];
    button.setAttribute("aria-label", `${LABEL[choice]} (click to change)`);
    button.title = `${LABEL[choice]}: click for ${CHOICES[(CHOICES.indexOf(choice) + 1) % 3]}`;
    button.dataset.theme = choice;
  };
  button.addEventListener("click", () => {
    choice = CHOICES[(CHOICES.indexOf(choice) + 1) % CHOICES.length];
    applyTheme(choice);
    try { storage.setItem(THEME_KEY, choice); } catch (err) { console.warn("theme: could not save the choice", err); }
    paint();
  });
  paint();
}
