# One build, three images: docker compose picks the target per service.
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -q -B -DskipTests package

FROM eclipse-temurin:17-jre AS runtime
RUN useradd --system --uid 10001 latchkey && mkdir /data && chown latchkey /data
USER latchkey
ENV LATCHKEY_DATA_DIR=/data JAVA_OPTS="-XX:MaxRAMPercentage=75"
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/app.jar"]

FROM runtime AS command-side
COPY --from=build /src/command-side/target/command-side-*-exec.jar /app/app.jar
EXPOSE 8081 5701

FROM runtime AS query-side
COPY --from=build /src/query-side/target/query-side-*-exec.jar /app/app.jar
EXPOSE 8082 5701

FROM runtime AS edge
COPY --from=build /src/validator-edge/target/validator-edge-*-exec.jar /app/app.jar
EXPOSE 8080 8090 5701
