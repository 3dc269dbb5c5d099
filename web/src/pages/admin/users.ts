// placeholder: replaced by the page's implementation
export {};
