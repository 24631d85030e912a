// The entry point (`npm start`, `npm run dev`, the image's CMD); everything it starts is wired in boot/.
import { start } from './boot/start.js'

await start()
