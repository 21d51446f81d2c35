FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY rubrics ./rubrics
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/server.ts"]
