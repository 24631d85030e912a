// Formatting moved to src/i18n/format.ts with issue 18 (it follows the reader's language);
// English forms for code that has no reader are still here.
export { formatMoney, formatPrice, formatValue } from '../i18n/format.js'
