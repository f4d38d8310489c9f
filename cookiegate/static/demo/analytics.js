/* Stands in for an analytics tag: runs only after consent to analytics. */
document.cookie = "_ga=GA1.1.demo." + Date.now() + "; path=/; max-age=63072000; SameSite=Lax";
