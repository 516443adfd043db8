import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { en, zh, type Lang, type MessageKey } from "./messages";

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };
const storageKey = "kronos.lang";

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: Translate;
}

/** format fills {name} placeholders; an unknown one stays as written. */
export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** storedLang returns the language chosen in this browser; English by default. */
export function storedLang(): Lang {
  try {
    const v = localStorage.getItem(storageKey);
    if (v === "en" || v === "zh") return v;
  } catch {
    // Storage refused (privacy mode): English.
  }
  return "en";
}

const I18nContext = createContext<I18n>({ lang: "en", setLang: () => {}, t: (k, v) => format(en[k], v) });

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(initial ?? storedLang);
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    try {
      localStorage.setItem(storageKey, l);
    } catch {
      // Not remembered; the choice still holds for this page.
    }
  }, []);
  const value = useMemo<I18n>(() => {
    const dict = dictionaries[lang];
    return { lang, setLang, t: (key, vars) => format(dict[key] ?? en[key], vars) };
  }, [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
