/* CookieGate banner: asks, remembers, gates tags by category. No dependencies, CSP-safe:
   no eval, no inline styles or handlers; the stylesheet is a <link> to the gateway. The
   service appends the site's published config as this function's argument. */
(function (C) {
  "use strict";
  var W = window, D = document, NAME = "cg_consent", CHECKED = "cg_checked", ESC = 27, TAB = 9;
  var script = D.currentScript, base = script ? script.src.replace(/\/cg\/[^/]+\/banner\.js.*$/, "") : "";
  var api = W.CookieGate = W.CookieGate || {};
  var state = null, root, layer1, layer2, opener, reopen, ready = false, uiLang = C.lang;
  var T = C.texts, cats = C.categories;

  /* ---- consent state: a small pure object, read from and written to cg_consent ---- */
  function b64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    return atob(s + "===".slice((s.length + 3) % 4));
  }
  function readToken(token) {
    try {
      var parts = token.split("."), p = JSON.parse(b64(parts[0])), t = b64(parts[1]), ts = 0;
      for (var i = 0; i < t.length; i++) ts = ts * 256 + t.charCodeAt(i);
      var choices = {};
      for (var k in p.c) choices[k] = !!p.c[k];
      return {consent_id: p.id, site: p.s, version: p.v, choices: choices, ts: ts * 1e3,
              token: token};
    } catch (e) { return null; }
  }
  function cookie(name) {
    var m = D.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function lifetime(choices) {
    var any = cats.some(function (c) { return !c.necessary && choices[c.key]; });
    return (any ? C.lifetimes.accept_days : C.lifetimes.refusal_days) * 864e5;
  }
  function siteDomain() {
    var host = location.hostname, best = "";
    C.domains.forEach(function (d) { if (covers(d, host) && d.length > best.length) best = d; });
    return best && best.indexOf(".") > 0 && !/^[\d.]+$/.test(best) ? best : "";
  }
  function covers(d, host) { return host === d || host.slice(-d.length - 1) === "." + d; }
  function setCookie(name, value, ms, domain) {
    D.cookie = name + "=" + value + "; Path=/; Max-Age=" + Math.floor(ms / 1e3) +
      (domain ? "; Domain=" + domain : "") + "; SameSite=Lax" +
      (location.protocol === "https:" ? "; Secure" : "");
  }
  /* The stored choice, or null when the visitor must be asked (again). */
  function stored() {
    var s = readToken(cookie(NAME) || "");
    if (!s || s.site !== C.site || s.version < C.prompt_version) return null;
    if (Date.now() - s.ts > lifetime(s.choices)) return null;
    for (var i = 0; i < cats.length; i++) if (!(cats[i].key in s.choices)) return null;
    return s;
  }

  /* ---- Google Consent Mode v2 ---- */
  function gtag() { (W.dataLayer = W.dataLayer || []).push(arguments); }
  function signals(choices) {
    var out = {};
    cats.forEach(function (c) {
      c.consent_mode.forEach(function (s) { out[s] = choices && choices[c.key] ? "granted" : "denied"; });
    });
    C.consent_mode.always_granted.forEach(function (s) { out[s] = "granted"; });
    return out;
  }
  var defaults = signals(null);
  defaults.wait_for_update = 500;
  gtag("consent", "default", defaults);

  /* ---- gating tags, frames and images by category ---- */
  function allowed(expr, choices) {
    return expr.split(/\s+/).every(function (k) {
      if (!k) return true;
      var neg = k.charAt(0) === "!";
      if (neg) k = k.slice(1);
      var known = choices && k in choices;
      return neg ? known && !choices[k] : !!(known && choices[k]);
    });
  }
  function gate(choices) {
    var nodes = D.querySelectorAll("[data-cg-category]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i], expr = el.getAttribute("data-cg-category");
      if (el.cgDone || !allowed(expr, choices)) continue;
      el.cgDone = true;
      if (el.tagName === "SCRIPT" && el.type === "text/plain") {
        var s = D.createElement("script");
        for (var a = 0; a < el.attributes.length; a++) {
          var at = el.attributes[a];
          if (at.name !== "type" && at.name !== "data-cg-category") s.setAttribute(at.name, at.value);
        }
        if (el.getAttribute("data-cg-type")) s.type = el.getAttribute("data-cg-type");
        if (el.nonce) s.nonce = el.nonce;
        s.async = false;
        if (!el.src) s.text = el.text;
        el.parentNode.replaceChild(s, el);
      } else if (el.getAttribute("data-cg-src")) {
        load(el);
      }
    }
  }
  function load(el) {
    el.cgDone = true;
    el.src = el.getAttribute("data-cg-src");
    el.removeAttribute("data-cg-src");
  }
  /* A blocked embed shows the gateway's placeholder page inside its own box (so nothing
     shifts); that page asks, by message, to load this embed or to allow its category. */
  function placeholders() {
    var frames = D.querySelectorAll("iframe[data-cg-src][data-cg-category]");
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (!f.cgHeld) f.src = base + "/cg/" + C.site + "/embed?c=" +
        encodeURIComponent(f.getAttribute("data-cg-category").replace(/^!/, "")) + "&lang=" + uiLang;
      f.cgHeld = true;
    }
  }
  W.addEventListener("message", function (ev) {
    var m = ev.data, frames = D.querySelectorAll("iframe[data-cg-src]");
    if (ev.origin !== base || !m || !m.cookiegate) return;
    for (var i = 0; i < frames.length; i++) if (frames[i].contentWindow === ev.source) {
      if (m.cookiegate === "allow" && byKey(m.category)) {
        var c = current();
        c[m.category] = true;
        decide("custom", c);
      } else load(frames[i]);
    }
  });

  /* ---- removing what a withdrawn category left behind ---- */
  function matches(entry, name) {
    if (entry.match === "prefix") return name.indexOf(entry.name) === 0;
    if (entry.match === "regex") {
      try { return new RegExp("^(?:" + entry.name + ")$").test(name); } catch (e) { return false; }
    }
    return name === entry.name;
  }
  function firstParty(entry) { return !entry.domain || covers(entry.domain, location.hostname); }
  function forget(keys) {
    var entries = [];
    cats.forEach(function (c) {
      if (keys.indexOf(c.key) >= 0) entries = entries.concat(c.entries.filter(firstParty));
    });
    var names = D.cookie ? D.cookie.split("; ").map(function (p) { return p.split("=")[0]; }) : [];
    var labels = location.hostname.split("."), domains = [""];
    for (var i = 0; i < labels.length - 1; i++) domains.push(labels.slice(i).join("."));
    var paths = ["/"], path = location.pathname.split("/");
    for (var j = 2; j <= path.length; j++) paths.push(path.slice(0, j).join("/"));
    entries.forEach(function (e) {
      if (!e.kind || e.kind === "cookie") {
        names.forEach(function (n) {
          if (n === NAME || !matches(e, n)) return;
          domains.forEach(function (d) {
            paths.forEach(function (p) {
              D.cookie = n + "=; Path=" + p + "; Max-Age=0" + (d ? "; Domain=" + d : "");
            });
          });
        });
      } else {
        var store = e.kind === "sessionStorage" ? W.sessionStorage : W.localStorage;
        try {
          Object.keys(store).forEach(function (k) { if (matches(e, k)) store.removeItem(k); });
        } catch (x) { /* storage may be blocked */ }
      }
    });
  }

  /* ---- recording a choice ---- */
  function gpc() { return !!(C.gpc || navigator.globalPrivacyControl); }
  function byKey(k) { for (var i = 0; i < cats.length; i++) if (cats[i].key === k) return cats[i]; }
  function current() {
    var c = {};
    cats.forEach(function (cat) { c[cat.key] = cat.necessary || !!(state && state.choices[cat.key]); });
    return c;
  }
  function uuid() {  /* v4; crypto.randomUUID exists only in secure contexts */
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16);
    });
  }
  function choicesFor(action, custom) {
    var c = {};
    cats.forEach(function (cat) {
      c[cat.key] = cat.necessary ||
        (action === "accept_all" ? !(gpc() && cat.sale_or_sharing) :
         action === "custom" ? !!custom[cat.key] : false);
    });
    return c;
  }
  function emit(name, detail) {
    W.dispatchEvent(new CustomEvent("cookiegate:" + name, {detail: detail}));
  }
  function send(body, tries) {
    var x = new XMLHttpRequest();
    x.open("POST", base + "/cg/" + C.site + "/consent");
    x.setRequestHeader("Content-Type", "text/plain");
    x.onload = function () {
      if (x.status === 201) {
        var r = JSON.parse(x.responseText);
        setCookie(NAME, r.token, new Date(r.expires_at) - Date.now(), siteDomain());
        if (state && state.consent_id === r.consent_id) state.token = r.token;
        emit("saved", r);
      } else if (x.status >= 500 && tries) send(body, tries - 1);
    };
    x.onerror = function () { if (tries) setTimeout(function () { send(body, tries - 1); }, 1e3); };
    x.send(JSON.stringify(body));
  }
  function decide(action, custom) {
    var before = state && state.choices, choices = choicesFor(action, custom || {});
    var previous = state && state.token;
    if (action === "reject_all" && before && cats.some(function (c) { return before[c.key] && !c.necessary; }))
      action = "withdraw";
    var body = {consent_id: uuid(), action: action, choices: choices, lang: C.lang,
                page: location.href.split(/[?#]/)[0], gpc: gpc(), version: C.version};
    if (previous) body.token = previous;
    state = {consent_id: body.consent_id, choices: choices, version: C.version, ts: Date.now(),
             token: previous};
    send(body, 2);
    hide();
    var narrowed = before && cats.filter(function (c) { return before[c.key] && !choices[c.key]; })
      .map(function (c) { return c.key; });
    apply(choices);
    emit("consent", {consent_id: body.consent_id, action: action, choices: choices});
    if (before && cats.some(function (c) { return before[c.key] !== choices[c.key]; }))
      emit("change", {choices: choices, previous: before});
    if (narrowed && narrowed.length) {
      forget(narrowed);
      W.addEventListener("cookiegate:saved", function () { location.reload(); });
      setTimeout(function () { location.reload(); }, 1500);
    }
  }
  function apply(choices) {
    gtag("consent", "update", signals(choices));
    gate(choices);
    placeholders();
    showReopen();
  }

  /* ---- the dialog ---- */
  function h(tag, attrs, kids, onclick) {
    var el = D.createElement(tag);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (k) { if (k) el.appendChild(typeof k === "string" ? D.createTextNode(k) : k); });
    if (onclick) el.addEventListener("click", onclick);
    return el;
  }
  function btn(label, action) {
    return h("button", {type: "button", "class": "cg-btn", "data-cg-action": action}, [label],
             function () { decide(action); });
  }
  function note() { return gpc() ? h("p", {"class": "cg-gpc", role: "note"}, [T.gpc]) : null; }
  function retention(e) { return e.session ? T.session : Math.round(e.retention_days) + " " + T.days; }
  function table(entries) {
    var head = ["col_name", "col_provider", "col_purpose", "col_retention", "col_party"];
    return h("details", {}, [
      h("summary", {}, [T.cookies_used + " (" + entries.length + ")"]),
      h("table", {}, [
        h("thead", {}, [h("tr", {}, head.map(function (k) { return h("th", {scope: "col"}, [T[k]]); }))]),
        h("tbody", {}, entries.map(function (e) {
          return h("tr", {}, [e.name + (e.match === "prefix" ? "*" : ""), e.provider, e.purpose,
            retention(e), e.party === "third" ? T.third_party : T.first_party]
            .map(function (v) { return h("td", {}, [v]); }));
        }))
      ])
    ]);
  }
  function render() {
    var id = "cg-" + Math.random().toString(36).slice(2, 8);
    var links = [h("a", {href: C.policy_url || base + "/cg/" + C.site + "/policy"}, [T.policy])];
    layer1 = h("div", {"class": "cg-layer", role: "dialog", "aria-labelledby": id + "t",
                       "aria-describedby": id + "d", "aria-modal": C.theme.position === "modal" ? "true" : "false",
                       tabindex: "-1"}, [
      h("h2", {id: id + "t"}, [T.title]),
      h("p", {id: id + "d"}, [T.description, " "].concat(links)),
      note(),
      h("div", {"class": "cg-actions"}, [btn(T.accept_all, "accept_all"), btn(T.reject_all, "reject_all"),
        h("button", {type: "button", "class": "cg-btn", "data-cg-action": "customise"}, [T.customise],
          function () { showLayer2(); })])
    ]);
    var rows = cats.map(function (c) {
      var box = h("input", {type: "checkbox", role: "switch", id: id + c.key, "data-cg-key": c.key,
                            "aria-describedby": id + c.key + "d"});
      if (c.necessary) { box.checked = true; box.disabled = true; }
      return h("section", {"class": "cg-cat"}, [
        h("div", {}, [
          h("label", {"for": id + c.key}, [c.name]),
          c.necessary ? h("span", {"class": "cg-always"}, [T.always_on]) : null, box]),
        h("p", {id: id + c.key + "d"}, [c.description])
      ]);
    });
    layer2 = h("div", {"class": "cg-layer cg-prefs", role: "dialog", "aria-modal": "true",
                       "aria-labelledby": id + "p", tabindex: "-1", hidden: ""}, [
      h("h2", {id: id + "p"}, [T.settings]),
      note(),
      h("div", {"class": "cg-cats"}, rows),
      h("div", {"class": "cg-actions"}, [btn(T.accept_all, "accept_all"), btn(T.reject_all, "reject_all"),
        h("button", {type: "button", "class": "cg-btn", "data-cg-action": "save"}, [T.save], function () {
          var c = {};
          layer2.querySelectorAll("input[data-cg-key]").forEach(function (i) { c[i.getAttribute("data-cg-key")] = i.checked; });
          decide("custom", c);
        })]),
      h("button", {type: "button", "class": "cg-close", "aria-label": T.close}, ["\u00d7"], function () { back(); })
    ]);
    root = h("div", {"class": "cg", "data-position": C.theme.position || "bar", "data-scheme": C.theme.scheme || "auto",
                     lang: C.lang, dir: /^(ar|he|fa|ur)\b/.test(C.lang) ? "rtl" : "ltr", hidden: ""}, [layer1, layer2]);
    root.addEventListener("keydown", keys);
    reopen = h("button", {type: "button", "class": "cg-reopen", "aria-label": T.settings, title: T.settings,
                          hidden: "", lang: C.lang}, [h("span", {"aria-hidden": "true"}, ["\u2699"])],
               function () { api.show(); });
    D.body.insertBefore(root, D.body.firstChild);
    D.body.appendChild(reopen);
  }
  function focusables(layer) {
    return [].filter.call(layer.querySelectorAll("button,a[href],input:not([disabled]),summary"),
                          function (el) { return el.offsetParent !== null || el === D.activeElement; });
  }
  function open(layer) {
    return layer && !layer.hidden && !root.hidden ? layer : null;
  }
  function keys(ev) {
    var layer = open(layer2) || open(layer1);
    if (!layer) return;
    if (ev.keyCode === ESC && layer === layer2) { ev.preventDefault(); back(); }
    if (ev.keyCode === TAB && layer.getAttribute("aria-modal") === "true") {
      var f = focusables(layer), first = f[0], last = f[f.length - 1];
      if (ev.shiftKey && (D.activeElement === first || D.activeElement === layer)) { ev.preventDefault(); last.focus(); }
      else if (!ev.shiftKey && D.activeElement === last) { ev.preventDefault(); first.focus(); }
    }
  }
  function showLayer1(focus) {
    root.hidden = false; layer2.hidden = true; layer1.hidden = false;
    root.setAttribute("data-layer", "1");
    if (focus) layer1.focus();
  }
  /* The registry tables come from config.json when the second layer first opens. */
  function details() {
    if (layer2.cgFull) return;
    layer2.cgFull = true;
    fetchConfig(C.lang, function (full) {
      if (!full) return;
      for (var k in full.texts) T[k] = full.texts[k];
      full.categories.forEach(function (c) {
        var at = layer2.querySelector("[data-cg-key=" + c.key + "]");
        if (at && c.entries.length) at.parentNode.parentNode.appendChild(table(c.entries));
      });
    });
  }
  function fetchConfig(lang, done) {
    var x = new XMLHttpRequest();
    x.open("GET", base + "/cg/" + C.site + "/config.json?lang=" + encodeURIComponent(lang));
    x.onloadend = function () {
      var c = null;
      try { c = JSON.parse(x.responseText); } catch (e) { /* keep what we have */ }
      done(c && c.categories ? c : null);
    };
    x.send();
  }
  function showLayer2() {
    details();
    if (!opener) opener = D.activeElement;
    var c = current();
    layer2.querySelectorAll("input[data-cg-key]").forEach(function (i) {
      i.checked = c[i.getAttribute("data-cg-key")];
    });
    root.hidden = false; layer1.hidden = true; layer2.hidden = false;
    root.setAttribute("data-layer", "2");
    layer2.focus();
  }
  function back() {
    if (state) hide(); else { showLayer1(true); restore(); }
  }
  function restore() {
    var el = opener;
    opener = null;
    if (el && el.focus && el !== D.body) el.focus();
  }
  function hide() {
    if (!root) return;
    var had = !root.hidden;
    root.hidden = true;
    if (had) restore();
  }
  function showReopen() { if (reopen) reopen.hidden = false; }

  /* ---- language: <script data-lang>, <html lang>, then the browser's preferences ---- */
  function wanted() {
    var asks = [script && script.getAttribute("data-lang"), D.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    for (var i = 0; i < asks.length; i++) {
      var a = (asks[i] || "").toLowerCase();
      if (!a) continue;
      for (var j = 0; j < C.languages.length; j++) {
        var l = C.languages[j].toLowerCase();
        if (l === a || l === a.split("-")[0]) return C.languages[j];
      }
    }
    return C.lang;
  }

  /* ---- public API ---- */
  api.show = function () {
    if (!ready) { ready = null; return; }  /* shown as soon as it is ready */
    opener = D.activeElement;
    if (state) showLayer2(); else showLayer1(true);
  };
  api.hide = hide;
  api.acceptedCategory = function (key) { return !!(state && state.choices[key]); };
  api.getConsent = function () {
    return state && {consent_id: state.consent_id, choices: current(), version: state.version,
                     created_at: new Date(state.ts).toISOString()};
  };
  api.config = C;

  /* A stored token is checked by the gateway once per browser session before it counts:
     a rotated-out key, another site's token or an edited cookie means asking again. */
  function verify(s, done) {
    var tail = s.token.slice(-16);
    try { if (sessionStorage.getItem(CHECKED) === tail) return done(true); } catch (e) { /* blocked */ }
    var x = new XMLHttpRequest();
    x.open("POST", base + "/cg/" + C.site + "/consent/verify");
    x.setRequestHeader("Content-Type", "text/plain");
    x.onloadend = function () {
      var r = x.status === 200 && JSON.parse(x.responseText), ok = r && r.valid && !r.reprompt;
      if (ok) try { sessionStorage.setItem(CHECKED, tail); } catch (e) { /* blocked */ }
      done(ok || !x.status || x.status >= 500);  /* gateway unreachable: keep the choice */
    };
    x.send(JSON.stringify({token: s.token}));
  }

  function start() {
    D.addEventListener("click", function (ev) {
      var t = ev.target.closest && ev.target.closest("[data-cg-open]");
      if (t) { ev.preventDefault(); api.show(); }
    });
    var css = h("link", {rel: "stylesheet", href: base + "/cg/" + C.site + "/banner.css?v=" + C.version});
    D.head.appendChild(css);
    var lang = uiLang = wanted(), waiting = 3, found = stored();
    function go() {
      if (--waiting) return;
      render();
      var asked = ready === null;
      ready = true;
      if (state) showReopen(); else showLayer1(C.theme.position === "modal");
      emit("ready", C);
      if (asked) api.show();
    }
    css.addEventListener("load", go);
    css.addEventListener("error", go);
    if (lang !== C.lang) fetchConfig(lang, function (c) {
      if (c) { C.lang = c.lang; T = C.texts = c.texts; cats = C.categories = c.categories; }
      go();
    });
    else go();
    if (!found) { placeholders(); go(); return; }
    verify(found, function (ok) {
      if (ok) {
        state = found;
        apply(state.choices);
        emit("consent", {consent_id: state.consent_id, action: "stored", choices: state.choices});
      } else {
        placeholders();
      }
      go();
    });
  }
  if (D.readyState === "loading") D.addEventListener("DOMContentLoaded", start); else start();
})(__CONFIG__);
